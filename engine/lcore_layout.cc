#include "lcore_layout.h"

#include <cstddef>
#include <map>

namespace onvm::engine {
namespace {

// Picks the `n`-th of the lcores in `candidates` (round-robin).
uint16_t Pick(const std::vector<uint16_t>& candidates, size_t n) {
  return candidates[n % candidates.size()];
}

}  // namespace

LcoreLayout PlanLcores(const std::vector<LcoreSpec>& workers,
                       const std::vector<int>& port_sockets) {
  LcoreLayout layout;
  if (workers.size() == 1) {
    PacketLcore w{workers[0].lcore_id, workers[0].socket, ONVM_LCORE_WORKER, {}, {}};
    for (uint16_t p = 0; p < port_sockets.size(); ++p) {
      w.rx_ports.push_back(p);
      w.tx_ports.push_back(p);
    }
    layout.lcores.push_back(std::move(w));
    layout.port_tx_lcore.assign(port_sockets.size(), 0);
    return layout;
  }
  std::map<int, std::vector<LcoreSpec>> by_socket;
  for (const LcoreSpec& w : workers) by_socket[w.socket].push_back(w);
  // Per socket: indices of the lcores that poll ports and that transmit.
  std::map<int, std::vector<uint16_t>> rx_of, tx_of;
  std::vector<uint16_t> all_rx, all_tx;
  for (const auto& [socket, specs] : by_socket) {
    const size_t n_rx = specs.size() == 1 ? 1 : specs.size() / 2;
    for (size_t i = 0; i < specs.size(); ++i) {
      const auto index = static_cast<uint16_t>(layout.lcores.size());
      onvm_stats_lcore_role role = specs.size() == 1 ? ONVM_LCORE_WORKER
                                   : i < n_rx        ? ONVM_LCORE_RX
                                                     : ONVM_LCORE_TX;
      layout.lcores.push_back({specs[i].lcore_id, socket, role, {}, {}});
      if (role != ONVM_LCORE_TX) {
        rx_of[socket].push_back(index);
        all_rx.push_back(index);
      }
      if (role != ONVM_LCORE_RX) {
        tx_of[socket].push_back(index);
        all_tx.push_back(index);
      }
    }
  }
  layout.port_tx_lcore.resize(port_sockets.size());
  std::map<int, size_t> rx_turn, tx_turn;
  for (uint16_t p = 0; p < port_sockets.size(); ++p) {
    const int socket = port_sockets[p];
    const bool local = socket >= 0 && rx_of.contains(socket);
    const uint16_t rx = local ? Pick(rx_of[socket], rx_turn[socket]++) : Pick(all_rx, p);
    const uint16_t tx = local ? Pick(tx_of[socket], tx_turn[socket]++) : Pick(all_tx, p);
    layout.lcores[rx].rx_ports.push_back(p);
    layout.lcores[tx].tx_ports.push_back(p);
    layout.port_tx_lcore[p] = tx;
  }
  return layout;
}

uint16_t LcoreLayout::TxLcoreFor(uint32_t instance_id, int socket) const {
  std::vector<uint16_t> local, any;
  for (uint16_t i = 0; i < lcores.size(); ++i) {
    if (!lcores[i].serves_nfs()) continue;
    any.push_back(i);
    if (lcores[i].socket == socket) local.push_back(i);
  }
  const std::vector<uint16_t>& from = local.empty() ? any : local;
  return from[instance_id % from.size()];
}

}  // namespace onvm::engine
