#include "agent/runtime_view.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "agent/desired_state.h"
#include "onvm/names.h"

namespace onvm::agent {
namespace {

using onvm::engine::v1::EngineState;
using onvm::engine::v1::InstanceInfo;
using onvm::engine::v1::PortInfo;

std::string InstanceName(const InstanceInfo& info) {
  return absl::StrCat(info.service(), "-", info.instance_id());
}

onvm::v1::Port ToPort(const PortInfo& info, const PortStats* stats) {
  onvm::v1::Port port;
  port.set_api_version(kApiVersion);
  port.set_kind("Port");
  port.mutable_metadata()->set_name(info.name());
  port.mutable_spec()->set_devargs(info.devargs());
  onvm::v1::PortStatus* status = port.mutable_status();
  status->set_port_id(info.port_id());
  status->set_link_up(info.link_up());
  status->set_speed_mbps(info.speed_mbps());
  status->set_mac(info.mac());
  status->set_numa_node(info.numa_node());
  if (stats != nullptr) {
    status->set_rx_packets(stats->rx_packets);
    status->set_rx_bytes(stats->rx_bytes);
    status->set_tx_packets(stats->tx_packets);
    status->set_tx_bytes(stats->tx_bytes);
    status->set_rx_missed(stats->rx_missed);
    status->set_tx_dropped(stats->tx_dropped);
    status->set_no_match_dropped(stats->no_match_dropped);
  }
  return port;
}

onvm::v1::Instance ToInstance(const InstanceInfo& info, const InstanceStats* stats) {
  onvm::v1::Instance instance;
  instance.set_api_version(kApiVersion);
  instance.set_kind("Instance");
  instance.mutable_metadata()->set_name(InstanceName(info));
  instance.mutable_spec()->set_service(info.service());
  onvm::v1::InstanceStatus* status = instance.mutable_status();
  status->set_instance_id(info.instance_id());
  status->set_pid(info.pid());
  status->set_cpu(info.cpu());
  switch (info.state()) {
    case InstanceInfo::STARTING:
      status->set_state(onvm::v1::InstanceStatus::STARTING);
      break;
    case InstanceInfo::RUNNING:
      status->set_state(onvm::v1::InstanceStatus::RUNNING);
      break;
    case InstanceInfo::DRAINING:
      status->set_state(onvm::v1::InstanceStatus::DRAINING);
      break;
    default:
      status->set_state(onvm::v1::InstanceStatus::STATE_UNSPECIFIED);
      break;
  }
  if (stats != nullptr) {
    status->set_rx_packets(stats->rx_packets);
    status->set_tx_packets(stats->tx_packets);
    status->set_dropped_ring_full(stats->dropped_ring_full);
    status->set_dropped_by_handler(stats->dropped_by_handler);
  }
  return instance;
}

// Counters by stats slot. A slot counts only while it still describes the
// same port or instance, so a reused slot never lends its counters.
template <typename Stats>
absl::flat_hash_map<uint32_t, Stats> BySlot(std::vector<Stats> all) {
  absl::flat_hash_map<uint32_t, Stats> out;
  for (Stats& s : all) out.emplace(s.slot, std::move(s));
  return out;
}

}  // namespace

absl::StatusOr<EngineState> RuntimeView::Engine() const {
  std::optional<EngineState> state = link_->current_state();
  if (!state.has_value()) {
    return absl::UnavailableError(absl::StrCat("engine \"", link_->engine_name(),
                                               "\" is not reachable: ", link_->DownReason()));
  }
  return *std::move(state);
}

absl::StatusOr<std::vector<onvm::v1::Port>> RuntimeView::ListPorts() const {
  absl::StatusOr<EngineState> engine = Engine();
  if (!engine.ok()) return engine.status();
  absl::flat_hash_map<uint32_t, PortStats> stats;
  if (std::shared_ptr<const StatsReader> reader = stats_->Get(); reader != nullptr) {
    stats = BySlot(reader->ports());
  }
  std::vector<onvm::v1::Port> out;
  for (const PortInfo& info : engine->ports()) {
    auto it = stats.find(info.stats_slot());
    const bool same = it != stats.end() && it->second.name == info.name();
    out.push_back(ToPort(info, same ? &it->second : nullptr));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.metadata().name() < b.metadata().name(); });
  return out;
}

absl::StatusOr<onvm::v1::Port> RuntimeView::GetPort(absl::string_view name) const {
  if (absl::Status s = ValidateName("name", name); !s.ok()) return s;
  absl::StatusOr<std::vector<onvm::v1::Port>> ports = ListPorts();
  if (!ports.ok()) return ports.status();
  for (onvm::v1::Port& port : *ports) {
    if (port.metadata().name() == name) return std::move(port);
  }
  return absl::NotFoundError(absl::StrCat(Describe("port", name), " not found"));
}

absl::StatusOr<std::vector<onvm::v1::Instance>> RuntimeView::ListInstances() const {
  absl::StatusOr<EngineState> engine = Engine();
  if (!engine.ok()) return engine.status();
  absl::flat_hash_map<uint32_t, InstanceStats> stats;
  if (std::shared_ptr<const StatsReader> reader = stats_->Get(); reader != nullptr) {
    stats = BySlot(reader->instances());
  }
  std::vector<onvm::v1::Instance> out;
  for (const InstanceInfo& info : engine->instances()) {
    auto it = stats.find(info.stats_slot());
    const bool same = it != stats.end() && it->second.instance_id == info.instance_id();
    out.push_back(ToInstance(info, same ? &it->second : nullptr));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.spec().service(), a.status().instance_id()) <
           std::make_pair(b.spec().service(), b.status().instance_id());
  });
  return out;
}

absl::StatusOr<onvm::v1::Instance> RuntimeView::GetInstance(absl::string_view name) const {
  // Instance names ("fw-3") are DNS labels too.
  if (absl::Status s = ValidateName("name", name); !s.ok()) return s;
  absl::StatusOr<std::vector<onvm::v1::Instance>> instances = ListInstances();
  if (!instances.ok()) return instances.status();
  for (onvm::v1::Instance& instance : *instances) {
    if (instance.metadata().name() == name) return std::move(instance);
  }
  return absl::NotFoundError(absl::StrCat(Describe("instance", name), " not found"));
}

absl::flat_hash_map<std::string, uint32_t> RuntimeView::ReadyReplicas() const {
  absl::flat_hash_map<std::string, uint32_t> ready;
  std::optional<EngineState> state = link_->current_state();
  if (!state.has_value()) return ready;
  for (const InstanceInfo& info : state->instances()) {
    if (info.state() == InstanceInfo::RUNNING) ++ready[info.service()];
  }
  return ready;
}

}  // namespace onvm::agent
