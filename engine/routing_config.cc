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
  if (config.chains_size() > ONVM_MAX_CHAINS) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "chains: ", config.chains_size(), " chains, at most ", ONVM_MAX_CHAINS, " are supported"));
  }
  if (config.rules_size() > ONVM_MAX_RULES) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "rules: ", config.rules_size(), " rules, at most ", ONVM_MAX_RULES, " are supported"));
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

absl::StatusOr<std::shared_ptr<const RuleTable>> BuildRuleTable(
    const onvm::engine::v1::SetConfig& config, const std::vector<PortEntry>& ports,
    const RuleStats* rule_stats) {
  absl::flat_hash_map<std::string, uint32_t> chain_ids;
  for (const auto& c : config.chains()) chain_ids[c.metadata().name()] = c.status().id();

  std::vector<const onvm::v1::Rule*> sorted;
  for (const auto& r : config.rules()) sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    if (a->spec().priority() != b->spec().priority()) {
      return a->spec().priority() > b->spec().priority();
    }
    return a->metadata().name() < b->metadata().name();
  });
  auto table = std::make_shared<RuleTable>();
  table->rules.reserve(sorted.size());
  for (const onvm::v1::Rule* r : sorted) {
    RuleRoute route;
    route.stats = &table->unexported_rule;
    if (rule_stats != nullptr) {
      if (auto it = rule_stats->find(r->metadata().name()); it != rule_stats->end()) {
        route.stats = it->second;
      }
    }
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
    table->rules.push_back(std::move(route));
  }
  std::vector<ClassifierRule> input;
  input.reserve(table->rules.size());
  for (const RuleRoute& r : table->rules) input.push_back({&r.match, r.in_port});
  auto classifier = Classifier::Build(input);
  if (!classifier.ok()) return classifier.status();
  table->classifier = *std::move(classifier);
  return table;
}

bool SameRules(const onvm::engine::v1::SetConfig& a, const onvm::engine::v1::SetConfig& b) {
  if (a.rules_size() != b.rules_size() || a.chains_size() != b.chains_size()) return false;
  for (int i = 0; i < a.chains_size(); ++i) {
    if (a.chains(i).metadata().name() != b.chains(i).metadata().name() ||
        a.chains(i).status().id() != b.chains(i).status().id()) {
      return false;
    }
  }
  for (int i = 0; i < a.rules_size(); ++i) {
    // A RuleSpec has no map fields, so equal specs serialise to equal bytes.
    if (a.rules(i).metadata().name() != b.rules(i).metadata().name() ||
        a.rules(i).spec().SerializeAsString() != b.rules(i).spec().SerializeAsString()) {
      return false;
    }
  }
  return true;
}

std::unique_ptr<Snapshot> BuildSnapshot(const onvm::engine::v1::SetConfig& config,
                                        const std::vector<PortEntry>& ports,
                                        const std::vector<RunningInstance>& instances,
                                        std::shared_ptr<const RuleTable> rules,
                                        const Snapshot* previous, const ChainStats* chain_stats) {
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
  snap->services.resize(max_service + 1);
  for (const RunningInstance& inst : instances) {
    auto it = service_ids.find(inst.service);
    if (it == service_ids.end() && !inst.draining) continue;
    // A draining instance's tx ring is still served, so that what it
    // finishes is not lost; it just gets no new flows.
    if (!inst.draining) {
      snap->services[it->second].instances.push_back(static_cast<uint16_t>(snap->instances.size()));
    }
    snap->instances.push_back(inst.route);
  }
  for (size_t id = 0; id < snap->services.size(); ++id) {
    ServiceRoute& service = snap->services[id];
    if (service.instances.empty()) continue;
    // Ascending instance ids: the order positions in the replica table
    // refer to.
    std::sort(service.instances.begin(), service.instances.end(), [&](uint16_t a, uint16_t b) {
      return snap->instances[a].instance_id < snap->instances[b].instance_id;
    });
    std::vector<uint32_t> ids;
    for (uint16_t i : service.instances) ids.push_back(snap->instances[i].instance_id);
    if (previous != nullptr && id < previous->services.size() &&
        previous->services[id].table != nullptr && previous->services[id].table->ids() == ids) {
      service.table = previous->services[id].table;
    } else {
      service.table = MaglevTable::Build(std::move(ids));
    }
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
    route.stats = &snap->unexported_chain;
    if (chain_stats != nullptr) {
      if (auto it = chain_stats->find(c.metadata().name()); it != chain_stats->end()) {
        route.stats = it->second;
      }
    }
    for (const std::string& s : c.spec().services()) {
      route.services.push_back(static_cast<uint16_t>(service_ids[s]));
    }
    if (c.spec().then().has_out()) {
      route.end = EndKind::kOut;
      route.end_port = static_cast<uint16_t>(PortIndex(ports, c.spec().then().out()));
    }
  }
  snap->rules = std::move(rules);
  return snap;
}

}  // namespace onvm::engine
