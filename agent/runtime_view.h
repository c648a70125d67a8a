// Ports and instances as the engine reports them (cached engine state)
// joined with their counters from the stats segment.
#ifndef ONVM_AGENT_RUNTIME_VIEW_H_
#define ONVM_AGENT_RUNTIME_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/engine_link.h"
#include "agent/stats_source.h"
#include "onvm/v1/instance.pb.h"
#include "onvm/v1/port.pb.h"

namespace onvm::agent {

class RuntimeView {
 public:
  // Both must outlive the view.
  RuntimeView(const EngineLink* link, StatsSource* stats) : link_(link), stats_(stats) {}

  // UNAVAILABLE while the engine is not connected. Sorted by name.
  absl::StatusOr<std::vector<onvm::v1::Port>> ListPorts() const;
  absl::StatusOr<onvm::v1::Port> GetPort(absl::string_view name) const;
  absl::StatusOr<std::vector<onvm::v1::Instance>> ListInstances() const;
  // `name` is "<service>-<instance id>".
  absl::StatusOr<onvm::v1::Instance> GetInstance(absl::string_view name) const;

  // Running instances per service; empty while the engine is not connected.
  absl::flat_hash_map<std::string, uint32_t> ReadyReplicas() const;

 private:
  absl::StatusOr<onvm::engine::v1::EngineState> Engine() const;

  const EngineLink* const link_;
  StatsSource* const stats_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_RUNTIME_VIEW_H_
