#include "agent/desired_state.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/rule_origin.h"
#include "agent/validation.h"
#include "onvm/names.h"

namespace onvm::agent {
namespace {

template <typename T>
void CopyOut(const std::map<std::string, T>& from, google::protobuf::RepeatedPtrField<T>* to) {
  to->Reserve(static_cast<int>(from.size()));
  for (const auto& [name, r] : from) *to->Add() = r;
}

// Loads one kind: names valid and unique, ids in range and unique.
template <typename T>
absl::Status CopyIn(const google::protobuf::RepeatedPtrField<T>& from, DesiredState* state) {
  auto& map = Kind<T>::Map(*state);
  absl::flat_hash_set<uint32_t> ids;
  for (const T& r : from) {
    const std::string what = Describe(r);
    if (absl::Status s = ValidateName("metadata.name", r.metadata().name()); !s.ok()) {
      return Annotate(s, what);
    }
    if (map.contains(r.metadata().name())) {
      return absl::DataLossError(absl::StrCat(what, ": listed twice"));
    }
    const uint32_t id = r.status().id();
    if (id == 0 || id > Kind<T>::kMaxIds) {
      return absl::DataLossError(
          absl::StrCat(what, ": status.id ", id, " is outside 1..", Kind<T>::kMaxIds));
    }
    if (!ids.insert(id).second) {
      return absl::DataLossError(absl::StrCat(what, ": status.id ", id, " is used twice"));
    }
    T stored = Normalized(r);
    stored.mutable_metadata()->set_generation(r.metadata().generation());
    stored.mutable_status()->set_id(id);
    KeepStoredStatus(r, &stored);
    map.emplace(r.metadata().name(), std::move(stored));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> LoadNextId(absl::string_view field, uint32_t value, uint32_t max_ids) {
  if (value == 0) return 1u;  // absent: no id handed out yet
  if (value > max_ids) {
    return absl::DataLossError(absl::StrCat(field, ": ", value, " is outside 1..", max_ids));
  }
  return value;
}

template <typename T>
absl::Status CheckAllReferences(const DesiredState& state) {
  for (const auto& [name, r] : Kind<T>::Map(state)) {
    // Ports are the engine's to vouch for; the reconciler reports them.
    if (absl::Status s = CheckReferences(r, state, nullptr); !s.ok()) {
      return absl::DataLossError(absl::StrCat(Describe(r), ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

AgentState ToProto(const DesiredState& state) {
  AgentState proto;
  proto.set_format_version(kStateFormatVersion);
  proto.set_generation(state.generation);
  proto.set_next_service_id(state.next_service_id);
  proto.set_next_chain_id(state.next_chain_id);
  proto.set_next_rule_id(state.next_rule_id);
  CopyOut(state.services, proto.mutable_services());
  CopyOut(state.chains, proto.mutable_chains());
  CopyOut(state.rules, proto.mutable_rules());
  return proto;
}

absl::StatusOr<DesiredState> FromProto(const AgentState& proto) {
  if (proto.format_version() != kStateFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("formatVersion ", proto.format_version(),
                                                      " is not supported (this agent reads ",
                                                      kStateFormatVersion, ")"));
  }
  DesiredState state;
  state.generation = proto.generation();
  absl::StatusOr<uint32_t> next =
      LoadNextId("nextServiceId", proto.next_service_id(), Kind<onvm::v1::Service>::kMaxIds);
  if (!next.ok()) return next.status();
  state.next_service_id = *next;
  next = LoadNextId("nextChainId", proto.next_chain_id(), Kind<onvm::v1::Chain>::kMaxIds);
  if (!next.ok()) return next.status();
  state.next_chain_id = *next;
  next = LoadNextId("nextRuleId", proto.next_rule_id(), Kind<onvm::v1::Rule>::kMaxIds);
  if (!next.ok()) return next.status();
  state.next_rule_id = *next;
  if (absl::Status s = CopyIn(proto.services(), &state); !s.ok()) return s;
  if (absl::Status s = CopyIn(proto.chains(), &state); !s.ok()) return s;
  if (absl::Status s = CopyIn(proto.rules(), &state); !s.ok()) return s;
  if (absl::Status s = CheckAllReferences<onvm::v1::Chain>(state); !s.ok()) return s;
  if (absl::Status s = CheckAllReferences<onvm::v1::Rule>(state); !s.ok()) return s;
  return state;
}

absl::Status CheckStateSize(const AgentState& state) {
  const size_t bytes = state.ByteSizeLong();
  if (bytes <= kMaxStateBytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "the desired state would take ", bytes, " bytes, over the limit of ", kMaxStateBytes,
      " bytes (what one List response and one engine control frame can carry); delete "
      "resources or shorten launch specs first"));
}

std::string Describe(absl::string_view kind_lower, absl::string_view name) {
  if (name.empty()) return std::string(kind_lower);
  // A valid name has at most 63 characters; an invalid one may be huge.
  constexpr size_t kMaxQuoted = 64;
  if (name.size() > kMaxQuoted) {
    return absl::StrCat(kind_lower, " \"", absl::CHexEscape(name.substr(0, kMaxQuoted)), "...\"");
  }
  return absl::StrCat(kind_lower, " \"", absl::CHexEscape(name), "\"");
}

absl::StatusOr<uint32_t> AllocateId(absl::string_view kind_lower,
                                    absl::flat_hash_set<uint32_t>* used, uint32_t* next,
                                    uint32_t max_ids) {
  if (used->size() >= max_ids) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "all ", max_ids, " ", kind_lower, " ids are in use; delete a ", kind_lower, " first"));
  }
  uint32_t id = (*next == 0 || *next > max_ids) ? 1 : *next;
  while (used->contains(id)) id = id % max_ids + 1;
  *next = id % max_ids + 1;
  used->insert(id);
  return id;
}

}  // namespace onvm::agent
