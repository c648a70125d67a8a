#include "routing_config.h"

#include <rte_ethdev.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "onvm/names.h"

namespace onvm::engine {
namespace {

// Ids travel in 16-bit packet metadata fields.
constexpr uint32_t kMaxId = 4095;

int PortIndex(const std::vector<PortEntry>& ports, const std::string& name) {
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

absl::Status Invalid(absl::string_view kind, absl::string_view name, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(kind, " \"", name, "\": ", msg));
}

absl::Status NotFound(absl::string_view kind, absl::string_view name, absl::string_view msg) {
  return absl::NotFoundError(absl::StrCat(kind, " \"", name, "\": ", msg));
}

}  // namespace

absl::Status ValidateConfig(const onvm::engine::v1::SetConfig& config,
                            const std::vector<PortEntry>& ports) {
  absl::flat_hash_set<std::string> service_names;
  absl::flat_hash_set<uint32_t> service_ids;
  for (const auto& s : config.services()) {
    const std::string& name = s.metadata().name();
    if (absl::Status st = ValidateName("metadata.name", name); !st.ok()) {
      return Invalid("service", name, st.message());
    }
    const uint32_t id = s.status().id();
    if (id == 0 || id > kMaxId) return Invalid("service", name, "status.id outside 1..4095");
    if (!service_names.insert(name).second) return Invalid("service", name, "duplicate name");
    if (!service_ids.insert(id).second) return Invalid("service", name, "duplicate status.id");
  }
  absl::flat_hash_set<std::string> chain_names;
  absl::flat_hash_set<uint32_t> chain_ids;
  for (const auto& c : config.chains()) {
    const std::string& name = c.metadata().name();
    if (absl::Status st = ValidateName("metadata.name", name); !st.ok()) {
      return Invalid("chain", name, st.message());
    }
    const uint32_t id = c.status().id();
    if (id == 0 || id > kMaxId) return Invalid("chain", name, "status.id outside 1..4095");
    if (!chain_names.insert(name).second) return Invalid("chain", name, "duplicate name");
    if (!chain_ids.insert(id).second) return Invalid("chain", name, "duplicate status.id");
    if (c.spec().services().empty()) return Invalid("chain", name, "spec.services is empty");
    // The hop index is 8 bits wide.
    if (c.spec().services_size() > 64) return Invalid("chain", name, "more than 64 services");
    for (int i = 0; i < c.spec().services_size(); ++i) {
      if (!service_names.contains(c.spec().services(i))) {
        return NotFound(
            "chain", name,
            absl::StrCat("spec.services[", i, "]: unknown service \"", c.spec().services(i), "\""));
      }
    }
    switch (c.spec().then().target_case()) {
      case onvm::v1::ChainEnd::kOut:
        if (PortIndex(ports, c.spec().then().out()) < 0) {
          return NotFound(
              "chain", name,
              absl::StrCat("spec.then.out: unknown port \"", c.spec().then().out(), "\""));
        }
        break;
      case onvm::v1::ChainEnd::kDrop:
        break;
      default:
        return Invalid("chain", name, "spec.then: needs out or drop");
    }
  }
  absl::flat_hash_set<std::string> rule_names;
  for (const auto& r : config.rules()) {
    const std::string& name = r.metadata().name();
    if (absl::Status st = ValidateName("metadata.name", name); !st.ok()) {
      return Invalid("rule", name, st.message());
    }
    if (!rule_names.insert(name).second) return Invalid("rule", name, "duplicate name");
    if (r.spec().priority() > kMaxRulePriority) {
      return Invalid("rule", name, "spec.priority outside 0..65535");
    }
    auto match = CompileMatch(r.spec().match(), "spec.match");
    if (!match.ok()) return Invalid("rule", name, match.status().message());
    if (!match->in_port.empty() && PortIndex(ports, match->in_port) < 0) {
      return NotFound("rule", name,
                      absl::StrCat("spec.match.inPort: unknown port \"", match->in_port, "\""));
    }
    switch (r.spec().action().target_case()) {
      case onvm::v1::RuleAction::kChain:
        if (!chain_names.contains(r.spec().action().chain())) {
          return NotFound(
              "rule", name,
              absl::StrCat("spec.action.chain: unknown chain \"", r.spec().action().chain(), "\""));
        }
        break;
      case onvm::v1::RuleAction::kOut:
        if (PortIndex(ports, r.spec().action().out()) < 0) {
          return NotFound(
              "rule", name,
              absl::StrCat("spec.action.out: unknown port \"", r.spec().action().out(), "\""));
        }
        break;
      case onvm::v1::RuleAction::kDrop:
        break;
      default:
        return Invalid("rule", name, "spec.action: needs chain, out or drop");
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<Snapshot> BuildSnapshot(const onvm::engine::v1::SetConfig& config,
                                        const std::vector<PortEntry>& ports,
                                        const std::vector<RunningInstance>& instances) {
  auto snap = std::make_unique<Snapshot>();
  snap->generation = config.generation();
  snap->port_index_by_id.assign(RTE_MAX_ETHPORTS, kNoPort);
  for (size_t i = 0; i < ports.size(); ++i) {
    snap->ports.push_back({ports[i].port_id, ports[i].stats});
    snap->port_index_by_id[ports[i].port_id] = static_cast<uint16_t>(i);
  }

  absl::flat_hash_map<std::string, uint32_t> service_ids;
  uint32_t max_service = 0;
  for (const auto& s : config.services()) {
    service_ids[s.metadata().name()] = s.status().id();
    max_service = std::max(max_service, s.status().id());
  }
  snap->service_instances.resize(max_service + 1);
  for (const RunningInstance& inst : instances) {
    auto it = service_ids.find(inst.service);
    if (it == service_ids.end()) continue;
    snap->service_instances[it->second].push_back(static_cast<uint16_t>(snap->instances.size()));
    snap->instances.push_back(inst.route);
  }

  absl::flat_hash_map<std::string, uint32_t> chain_ids;
  uint32_t max_chain = 0;
  for (const auto& c : config.chains()) {
    chain_ids[c.metadata().name()] = c.status().id();
    max_chain = std::max(max_chain, c.status().id());
  }
  snap->chains.resize(max_chain + 1);
  for (const auto& c : config.chains()) {
    ChainRoute& route = snap->chains[c.status().id()];
    route.defined = true;
    for (const std::string& s : c.spec().services()) {
      route.services.push_back(static_cast<uint16_t>(service_ids[s]));
    }
    if (c.spec().then().has_out()) {
      route.end = EndKind::kOut;
      route.end_port = static_cast<uint16_t>(PortIndex(ports, c.spec().then().out()));
    }
  }

  std::vector<const onvm::v1::Rule*> rules;
  for (const auto& r : config.rules()) rules.push_back(&r);
  std::stable_sort(rules.begin(), rules.end(), [](const auto* a, const auto* b) {
    if (a->spec().priority() != b->spec().priority()) {
      return a->spec().priority() > b->spec().priority();
    }
    return a->metadata().name() < b->metadata().name();
  });
  for (const onvm::v1::Rule* r : rules) {
    RuleRoute route;
    route.match = *CompileMatch(r->spec().match(), "spec.match");
    route.in_port = route.match.in_port.empty() ? -1 : PortIndex(ports, route.match.in_port);
    const auto& action = r->spec().action();
    if (action.has_chain()) {
      route.action = RuleAction::kChain;
      route.target = static_cast<uint16_t>(chain_ids[action.chain()]);
    } else if (action.has_out()) {
      route.action = RuleAction::kOut;
      route.target = static_cast<uint16_t>(PortIndex(ports, action.out()));
    }
    snap->rules.push_back(std::move(route));
  }
  return snap;
}

}  // namespace onvm::engine
