#include "agent/validation.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "onvm/match.h"
#include "onvm/names.h"
#include "onvm/stats_layout.h"

namespace onvm::agent {
namespace {

using google::protobuf::util::MessageDifferencer;

// Chains are walked with a uint8 hop index in the packet metadata.
constexpr int kMaxChainLength = 255;
// Far more than any command line needs, and small enough that the engine's
// control frame can carry many services.
constexpr size_t kMaxLaunchBytes = 64 * 1024;
// CPU numbers a placement may name (and so the most cores it may list).
constexpr uint32_t kMaxPlacementCores = 1024;
constexpr uint32_t kMaxGracePeriodSeconds = 300;

absl::Status InvalidField(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// A value from the request, fit to be quoted in a message: escaped, and
// cut short if long.
std::string Quoted(absl::string_view value) {
  constexpr size_t kMaxQuoted = 64;
  if (value.size() <= kMaxQuoted) return absl::CHexEscape(value);
  return absl::StrCat(absl::CHexEscape(value.substr(0, kMaxQuoted)), "...");
}

template <typename T>
absl::Status ValidateHeader(const T& r) {
  if (!r.api_version().empty() && r.api_version() != kApiVersion) {
    return InvalidField("apiVersion",
                        absl::StrCat("'", Quoted(r.api_version()), "' is not supported (use \"",
                                     kApiVersion, "\")"));
  }
  if (!r.kind().empty() && r.kind() != Kind<T>::kName) {
    return InvalidField(
        "kind", absl::StrCat("'", Quoted(r.kind()), "' does not match the resource (expected \"",
                             Kind<T>::kName, "\")"));
  }
  return ValidateName("metadata.name", r.metadata().name());
}

absl::Status ValidateSpec(const onvm::v1::ServiceSpec& spec) {
  if (spec.replicas() > ONVM_MAX_REPLICAS) {
    return InvalidField("spec.replicas",
                        absl::StrCat(spec.replicas(), " is more than the ", ONVM_MAX_REPLICAS,
                                     " instances one service can have"));
  }
  if (!onvm::v1::CoreMode_IsValid(spec.core_mode())) {
    return InvalidField(
        "spec.core_mode",
        absl::StrCat(spec.core_mode(), " is not a core mode (DEDICATED or SHARED)"));
  }
  if (spec.placement().cores_size() > static_cast<int>(kMaxPlacementCores)) {
    return InvalidField("spec.placement.cores",
                        absl::StrCat(spec.placement().cores_size(), " cores exceed the limit of ",
                                     kMaxPlacementCores));
  }
  for (int i = 0; i < spec.placement().cores_size(); ++i) {
    const uint32_t core = spec.placement().cores(i);
    if (core >= kMaxPlacementCores) {
      return InvalidField(absl::StrCat("spec.placement.cores[", i, "]"),
                          absl::StrCat(core, " is not a CPU number 0..", kMaxPlacementCores - 1));
    }
    for (int j = 0; j < i; ++j) {
      if (spec.placement().cores(j) == core) {
        return InvalidField(absl::StrCat("spec.placement.cores[", i, "]"),
                            absl::StrCat("CPU ", core, " is listed twice"));
      }
    }
  }
  if (!spec.has_launch()) return absl::OkStatus();
  const onvm::v1::LaunchSpec& launch = spec.launch();
  if (launch.grace_period_seconds() > kMaxGracePeriodSeconds) {
    return InvalidField("spec.launch.grace_period_seconds",
                        absl::StrCat(launch.grace_period_seconds(), " is more than ",
                                     kMaxGracePeriodSeconds, " seconds"));
  }
  // A launch spec becomes an exec(): bounded, and no NUL byte anywhere.
  if (const size_t bytes = launch.ByteSizeLong(); bytes > kMaxLaunchBytes) {
    return InvalidField("spec.launch", absl::StrCat(bytes, " bytes exceed the limit of ",
                                                    kMaxLaunchBytes, " bytes per launch spec"));
  }
  if (launch.command().empty() && (launch.args_size() > 0 || !launch.env().empty())) {
    return InvalidField("spec.launch.command", "must be set when spec.launch has args or env");
  }
  if (launch.command().find('\0') != std::string::npos) {
    return InvalidField("spec.launch.command", "must not contain a NUL byte");
  }
  for (int i = 0; i < launch.args_size(); ++i) {
    if (launch.args(i).find('\0') != std::string::npos) {
      return InvalidField(absl::StrCat("spec.launch.args[", i, "]"), "must not contain a NUL byte");
    }
  }
  for (const auto& [key, value] : launch.env()) {
    if (key.empty() || key.find_first_of(std::string("=\0", 2)) != std::string::npos) {
      return InvalidField(
          "spec.launch.env",
          absl::StrCat("'", Quoted(key), "' is not a valid environment variable name"));
    }
    if (value.find('\0') != std::string::npos) {
      return InvalidField(absl::StrCat("spec.launch.env[", Quoted(key), "]"),
                          "must not contain a NUL byte");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSpec(const onvm::v1::ChainSpec& spec) {
  if (spec.services().empty())
    return InvalidField("spec.services", "must list at least one service");
  if (spec.services_size() > kMaxChainLength) {
    return InvalidField("spec.services",
                        absl::StrCat(spec.services_size(), " services exceed the limit of ",
                                     kMaxChainLength, " per chain"));
  }
  for (int i = 0; i < spec.services_size(); ++i) {
    if (absl::Status s = ValidateName(absl::StrCat("spec.services[", i, "]"), spec.services(i));
        !s.ok()) {
      return s;
    }
  }
  switch (spec.then().target_case()) {
    case onvm::v1::ChainEnd::kOut:
      return ValidateName("spec.then.out", spec.then().out());
    case onvm::v1::ChainEnd::kDrop:
      if (!spec.then().drop()) return InvalidField("spec.then.drop", "must be true when given");
      return absl::OkStatus();
    case onvm::v1::ChainEnd::TARGET_NOT_SET:
      break;
  }
  return InvalidField("spec.then", "must be {out: PORT} or {drop: true}");
}

absl::Status ValidateSpec(const onvm::v1::RuleSpec& spec) {
  if (spec.priority() > kMaxRulePriority) {
    return InvalidField("spec.priority",
                        absl::StrCat(spec.priority(), " is outside 0..", kMaxRulePriority));
  }
  if (absl::StatusOr<CompiledMatch> m = CompileMatch(spec.match(), "spec.match"); !m.ok()) {
    return m.status();
  }
  switch (spec.action().target_case()) {
    case onvm::v1::RuleAction::kChain:
      return ValidateName("spec.action.chain", spec.action().chain());
    case onvm::v1::RuleAction::kOut:
      return ValidateName("spec.action.out", spec.action().out());
    case onvm::v1::RuleAction::kDrop:
      if (!spec.action().drop()) return InvalidField("spec.action.drop", "must be true when given");
      return absl::OkStatus();
    case onvm::v1::RuleAction::TARGET_NOT_SET:
      break;
  }
  return InvalidField("spec.action", "must be {chain: NAME}, {out: PORT} or {drop: true}");
}

template <typename T>
absl::Status ValidateWhole(const T& r) {
  if (absl::Status s = ValidateHeader(r); !s.ok()) return s;
  return ValidateSpec(r.spec());
}

}  // namespace

absl::Status PortLookup::Check(absl::string_view field, const std::string& port) {
  if (!ports_.has_value()) {
    ports_ = fetch_ ? fetch_() : absl::UnavailableError("the engine's ports are unknown");
  }
  if (!ports_->ok()) {
    return absl::UnavailableError(
        absl::StrCat(field, ": cannot check port '", port, "': ", ports_->status().message()));
  }
  const PortNames& names = **ports_;
  if (names.contains(port)) return absl::OkStatus();
  std::vector<std::string> known(names.begin(), names.end());
  std::sort(known.begin(), known.end());
  return absl::NotFoundError(absl::StrCat(
      field, ": port '", port, "' does not exist",
      known.empty() ? " (the engine has no ports)"
                    : absl::StrCat(" (engine ports: ", absl::StrJoin(known, ", "), ")")));
}

absl::Status ValidateResource(const onvm::v1::Service& service) { return ValidateWhole(service); }
absl::Status ValidateResource(const onvm::v1::Chain& chain) { return ValidateWhole(chain); }
absl::Status ValidateResource(const onvm::v1::Rule& rule) { return ValidateWhole(rule); }

absl::Status CheckReferences(const onvm::v1::Service&, const DesiredState&, PortLookup*) {
  return absl::OkStatus();
}

absl::Status CheckReferences(const onvm::v1::Chain& chain, const DesiredState& state,
                             PortLookup* ports) {
  const onvm::v1::ChainSpec& spec = chain.spec();
  for (int i = 0; i < spec.services_size(); ++i) {
    if (!state.services.contains(spec.services(i))) {
      return absl::NotFoundError(
          absl::StrCat("spec.services[", i, "]: service '", spec.services(i), "' does not exist"));
    }
  }
  if (ports != nullptr && spec.then().target_case() == onvm::v1::ChainEnd::kOut) {
    return ports->Check("spec.then.out", spec.then().out());
  }
  return absl::OkStatus();
}

absl::Status CheckReferences(const onvm::v1::Rule& rule, const DesiredState& state,
                             PortLookup* ports) {
  const onvm::v1::RuleSpec& spec = rule.spec();
  if (spec.action().target_case() == onvm::v1::RuleAction::kChain &&
      !state.chains.contains(spec.action().chain())) {
    return absl::NotFoundError(
        absl::StrCat("spec.action.chain: chain '", spec.action().chain(), "' does not exist"));
  }
  if (ports == nullptr) return absl::OkStatus();
  if (spec.action().target_case() == onvm::v1::RuleAction::kOut) {
    if (absl::Status s = ports->Check("spec.action.out", spec.action().out()); !s.ok()) return s;
  }
  if (!spec.match().in_port().empty()) {
    return ports->Check("spec.match.inPort", spec.match().in_port());
  }
  return absl::OkStatus();
}

std::optional<std::string> FindUser(const onvm::v1::Service& service, const DesiredState& state) {
  for (const auto& [name, chain] : state.chains) {
    const auto& services = chain.spec().services();
    for (int i = 0; i < services.size(); ++i) {
      if (services[i] == service.metadata().name()) {
        return absl::StrCat(Describe(chain), " (spec.services[", i, "])");
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> FindUser(const onvm::v1::Chain& chain, const DesiredState& state) {
  for (const auto& [name, rule] : state.rules) {
    if (rule.spec().action().target_case() == onvm::v1::RuleAction::kChain &&
        rule.spec().action().chain() == chain.metadata().name()) {
      return absl::StrCat(Describe(rule), " (spec.action.chain)");
    }
  }
  return std::nullopt;
}

std::optional<std::string> FindUser(const onvm::v1::Rule&, const DesiredState&) {
  return std::nullopt;
}

bool SameSpec(const onvm::v1::Service& a, const onvm::v1::Service& b) {
  return MessageDifferencer::Equals(a.spec(), b.spec());
}
bool SameSpec(const onvm::v1::Chain& a, const onvm::v1::Chain& b) {
  return MessageDifferencer::Equals(a.spec(), b.spec());
}
bool SameSpec(const onvm::v1::Rule& a, const onvm::v1::Rule& b) {
  return MessageDifferencer::Equals(a.spec(), b.spec());
}

absl::Status Annotate(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

}  // namespace onvm::agent
