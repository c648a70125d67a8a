// Validates a SetConfig from the agent and compiles it, together with the
// engine's ports and running NF instances, into a routing Snapshot.
#ifndef ONVM_ENGINE_ROUTING_CONFIG_H_
#define ONVM_ENGINE_ROUTING_CONFIG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "onvm/engine/v1/control.pb.h"
#include "snapshot.h"

namespace onvm::engine {

struct PortEntry {
  std::string name;
  uint16_t port_id;
  onvm_stats_port* stats;
};

// Stats slots by resource name; a name missing from the map (or a null map)
// gets an unexported counter.
using RuleStats = absl::flat_hash_map<std::string, onvm_stats_rule*>;
using ChainStats = absl::flat_hash_map<std::string, onvm_stats_chain*>;

struct RunningInstance {
  std::string service;
  InstanceRoute route;
  bool draining = false;  // tx ring served, no replica of its service
};

// Returns an error naming the offending resource and field if `config`
// refers to unknown services, chains or ports, repeats a name or id, or has
// an invalid match, or holds more than ONVM_MAX_CHAINS chains or
// ONVM_MAX_RULES rules. Nothing is changed either way.
absl::Status ValidateConfig(const onvm::engine::v1::SetConfig& config,
                            const std::vector<PortEntry>& ports);

// Compiles the rules of a validated config: sorted by priority (then name)
// and built into the classifier. Fails (RESOURCE_EXHAUSTED) only when DPDK
// memory runs out. Needs an initialised EAL.
absl::StatusOr<std::shared_ptr<const RuleTable>> BuildRuleTable(
    const onvm::engine::v1::SetConfig& config, const std::vector<PortEntry>& ports,
    const RuleStats* rule_stats = nullptr);

// True when `a` and `b` have the same rules and chain ids, so that a rule
// table built from one serves the other.
bool SameRules(const onvm::engine::v1::SetConfig& a, const onvm::engine::v1::SetConfig& b);

// Compiles a validated config with `rules` = BuildRuleTable(config, ports).
// Instances whose service is not configured get no traffic. Replica tables
// are taken from `previous` (may be null) where a service's replica set is
// unchanged.
std::unique_ptr<Snapshot> BuildSnapshot(const onvm::engine::v1::SetConfig& config,
                                        const std::vector<PortEntry>& ports,
                                        const std::vector<RunningInstance>& instances,
                                        std::shared_ptr<const RuleTable> rules,
                                        const Snapshot* previous,
                                        const ChainStats* chain_stats = nullptr);

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_ROUTING_CONFIG_H_
