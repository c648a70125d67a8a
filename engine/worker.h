// The poll-mode worker lcore: receives from ports, classifies, hands packets
// to NF rings, takes them back, routes them to the next hop or a port.
#ifndef ONVM_ENGINE_WORKER_H_
#define ONVM_ENGINE_WORKER_H_

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "onvm/stats_layout.h"
#include "snapshot.h"

namespace onvm::engine {

struct WorkerContext {
  const std::atomic<const Snapshot*>* snapshot;
  rte_rcu_qsbr* qsbr;
  unsigned qsbr_thread_id;
  int meta_offset;  // mbuf dynfield offset of struct onvm_pkt_meta
  onvm_stats_header* engine_stats;
  uint32_t idle_sleep_us;
  const std::atomic<bool>* stop;
  onvm_stats_lcore* lcore_stats;
  // This lcore's place in the LcoreLayout and what it does there.
  uint16_t index;
  bool polls_ports;
  bool serves_nfs;
  // More than one packet lcore: counters may have several writers (atomic
  // adds) and packets for a port another lcore transmits on go through
  // that lcore's inbound ring.
  bool shared;
  std::vector<uint16_t> rx_ports;              // port indices it polls
  const std::vector<uint16_t>* port_tx_lcore;  // port index -> lcore index
  const std::vector<rte_ring*>* inbound;       // by lcore index; empty unless shared
  // ONVM_STATS_LATENCY_BOUNDS_NS in TSC cycles, and the TSC period.
  uint64_t latency_bounds[ONVM_STATS_LATENCY_BUCKETS - 1];
  double ns_per_cycle;
};

// Fills the latency fields of `ctx` for a TSC of `tsc_hz`.
void SetLatencyBounds(uint64_t tsc_hz, WorkerContext* ctx);

// rte_eal_remote_launch entry point; `arg` is a WorkerContext*.
int WorkerMain(void* arg);

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_WORKER_H_
