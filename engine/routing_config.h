// Validates a SetConfig from the agent and compiles it, together with the
// engine's ports and running NF instances, into a routing Snapshot.
#ifndef ONVM_ENGINE_ROUTING_CONFIG_H_
#define ONVM_ENGINE_ROUTING_CONFIG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "onvm/engine/v1/control.pb.h"
#include "snapshot.h"

namespace onvm::engine {

struct PortEntry {
  std::string name;
  uint16_t port_id;
  onvm_stats_port* stats;
};

struct RunningInstance {
  std::string service;
  InstanceRoute route;
};

// Returns an error naming the offending resource and field if `config`
// refers to unknown services, chains or ports, repeats a name or id, or has
// an invalid match. Nothing is changed either way.
absl::Status ValidateConfig(const onvm::engine::v1::SetConfig& config,
                            const std::vector<PortEntry>& ports);

// Compiles a validated config. Instances whose service is not configured get
// no traffic.
std::unique_ptr<Snapshot> BuildSnapshot(const onvm::engine::v1::SetConfig& config,
                                        const std::vector<PortEntry>& ports,
                                        const std::vector<RunningInstance>& instances);

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_ROUTING_CONFIG_H_
