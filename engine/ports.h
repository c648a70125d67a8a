// Bringing the operator's ports up and down.
#ifndef ONVM_ENGINE_PORTS_H_
#define ONVM_ENGINE_PORTS_H_

#include <rte_mempool.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine_options.h"
#include "onvm/engine/v1/control.pb.h"

namespace onvm::engine {

struct Port {
  std::string name;
  std::string devargs;
  uint16_t port_id;
  int socket;  // NUMA node, -1 when the device does not say
};

// The mbuf pool for a port's receive queue, by the port's NUMA node.
using PoolForSocket = std::function<absl::StatusOr<rte_mempool*>(int socket)>;

// Probes each virtual device (PCI devices were probed by EAL from its
// allow-list), configures one rx and one tx queue and starts it. On error the
// message names the port; ports already started are stopped and closed.
absl::StatusOr<std::vector<Port>> StartPorts(const std::vector<PortOption>& options,
                                             const PoolForSocket& pool_for);

// Stops and closes every port (flushes pcap output files).
void StopPorts(const std::vector<Port>& ports);

// Current link, MAC and NUMA node of a port.
onvm::engine::v1::PortInfo DescribePort(const Port& port, uint32_t slot);

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_PORTS_H_
