// Which packet lcore does what: given the worker lcores EAL started (with
// their NUMA sockets) and the ports' sockets, decides each lcore's role,
// the ports it polls and the ports it transmits on. Pure: no DPDK calls, so
// unit tests can try any machine shape.
//
//   one worker lcore in all       -> one combined rx/tx worker (2-core hosts)
//   per socket with >= 2 lcores   -> half rx, half tx (rx first)
//   per socket with 1 lcore       -> a combined worker for that socket
//
// A port is polled by one rx-capable lcore and transmitted by one
// tx-capable lcore of its own socket (round-robin among them), or of any
// socket when its socket has no lcore. NF instances are assigned to a
// tx-capable lcore at run time (TxLcoreFor).
#ifndef ONVM_ENGINE_LCORE_LAYOUT_H_
#define ONVM_ENGINE_LCORE_LAYOUT_H_

#include <cstdint>
#include <vector>

#include "onvm/stats_layout.h"

namespace onvm::engine {

struct LcoreSpec {
  unsigned lcore_id;
  int socket;
};

struct PacketLcore {
  unsigned lcore_id = 0;
  int socket = 0;
  onvm_stats_lcore_role role = ONVM_LCORE_WORKER;
  std::vector<uint16_t> rx_ports;  // port indices it polls
  std::vector<uint16_t> tx_ports;  // port indices it transmits on
  bool polls_ports() const { return role != ONVM_LCORE_TX; }
  bool serves_nfs() const { return role != ONVM_LCORE_RX; }
};

struct LcoreLayout {
  std::vector<PacketLcore> lcores;
  std::vector<uint16_t> port_tx_lcore;  // port index -> index in `lcores`
  // True when more than one lcore moves packets: NF rx rings then have
  // several producers and shared counters need atomic adds.
  bool shared() const { return lcores.size() > 1; }
  // Index of the lcore that serves the tx ring of NF instance `instance_id`
  // running on `socket` (-1: unknown).
  uint16_t TxLcoreFor(uint32_t instance_id, int socket) const;
};

// `workers` must not be empty. A negative port socket means "any".
LcoreLayout PlanLcores(const std::vector<LcoreSpec>& workers, const std::vector<int>& port_sockets);

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_LCORE_LAYOUT_H_
