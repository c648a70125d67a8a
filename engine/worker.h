// The poll-mode worker lcore: receives from ports, classifies, hands packets
// to NF rings, takes them back, routes them to the next hop or a port.
#ifndef ONVM_ENGINE_WORKER_H_
#define ONVM_ENGINE_WORKER_H_

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>

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
};

// rte_eal_remote_launch entry point; `arg` is a WorkerContext*.
int WorkerMain(void* arg);

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_WORKER_H_
