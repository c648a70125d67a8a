#include "ports.h"

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace onvm::engine {
namespace {

constexpr uint16_t kRxDesc = 1024;
constexpr uint16_t kTxDesc = 1024;

absl::Status PortError(const PortOption& opt, absl::string_view what, int rc) {
  // Some drivers return a bare -1 rather than a negative errno.
  return absl::InvalidArgumentError(absl::StrCat("port '", opt.name, "' (", opt.devargs,
                                                 "): ", what, rc == -1 ? "" : ": ",
                                                 rc == -1 ? "" : rte_strerror(-rc)));
}

absl::StatusOr<uint16_t> ProbePort(const PortOption& opt) {
  uint16_t port_id = 0;
  if (!opt.is_pci) {
    const int rc = rte_dev_probe(opt.devargs.c_str());
    if (rc < 0) {
      return PortError(opt, "the device failed to initialise (bad DEVARGS? see the DPDK log above)",
                       rc);
    }
  }
  if (rte_eth_dev_get_port_by_name(opt.device.c_str(), &port_id) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "port '", opt.name, "' (", opt.devargs, "): no ethernet device named '", opt.device,
        opt.is_pci ? "' (is the device bound to a DPDK-compatible driver?)" : "'"));
  }
  return port_id;
}

absl::Status ConfigurePort(const PortOption& opt, uint16_t port_id, const PoolForSocket& pool_for) {
  rte_eth_conf conf{};
  int rc = rte_eth_dev_configure(port_id, 1, 1, &conf);
  if (rc < 0) return PortError(opt, "configure", rc);
  uint16_t rx_desc = kRxDesc;
  uint16_t tx_desc = kTxDesc;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc, &tx_desc);
  if (rc < 0) return PortError(opt, "descriptor counts", rc);
  const int socket = rte_eth_dev_socket_id(port_id);
  const unsigned queue_socket = socket < 0 ? SOCKET_ID_ANY : static_cast<unsigned>(socket);
  absl::StatusOr<rte_mempool*> pool = pool_for(socket);
  if (!pool.ok()) {
    return absl::Status(pool.status().code(),
                        absl::StrCat("port '", opt.name, "': ", pool.status().message()));
  }
  rc = rte_eth_rx_queue_setup(port_id, 0, rx_desc, queue_socket, nullptr, *pool);
  if (rc < 0) return PortError(opt, "rx queue", rc);
  rc = rte_eth_tx_queue_setup(port_id, 0, tx_desc, queue_socket, nullptr);
  if (rc < 0) return PortError(opt, "tx queue", rc);
  rc = rte_eth_dev_start(port_id);
  if (rc < 0) return PortError(opt, "start", rc);
  // Not every virtual device has a promiscuous mode; that is not an error.
  (void)rte_eth_promiscuous_enable(port_id);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Port>> StartPorts(const std::vector<PortOption>& options,
                                             const PoolForSocket& pool_for) {
  std::vector<Port> ports;
  for (const PortOption& opt : options) {
    auto port_id = ProbePort(opt);
    absl::Status s = port_id.ok() ? ConfigurePort(opt, *port_id, pool_for) : port_id.status();
    if (!s.ok()) {
      if (port_id.ok()) rte_eth_dev_close(*port_id);
      StopPorts(ports);
      return s;
    }
    ports.push_back({opt.name, opt.devargs, *port_id, rte_eth_dev_socket_id(*port_id)});
  }
  return ports;
}

void StopPorts(const std::vector<Port>& ports) {
  for (const Port& p : ports) {
    rte_eth_dev_stop(p.port_id);
    rte_eth_dev_close(p.port_id);
  }
}

onvm::engine::v1::PortInfo DescribePort(const Port& port, uint32_t slot) {
  onvm::engine::v1::PortInfo info;
  info.set_name(port.name);
  info.set_devargs(port.devargs);
  info.set_port_id(port.port_id);
  info.set_stats_slot(slot);
  rte_ether_addr mac{};
  if (rte_eth_macaddr_get(port.port_id, &mac) == 0) {
    const uint8_t* b = mac.addr_bytes;
    info.set_mac(
        absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]));
  }
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port.port_id, &link) == 0) {
    info.set_link_up(link.link_status == RTE_ETH_LINK_UP);
    info.set_speed_mbps(link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed);
  }
  info.set_numa_node(rte_eth_dev_socket_id(port.port_id));
  return info;
}

}  // namespace onvm::engine
