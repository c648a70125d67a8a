// The agent's desired state in memory, its persisted proto form, and the
// per-kind plumbing (which map, which id counter) that lets the store treat
// services, chains and rules alike.
#ifndef ONVM_AGENT_DESIRED_STATE_H_
#define ONVM_AGENT_DESIRED_STATE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/state.pb.h"
#include "onvm/stats_layout.h"
#include "onvm/v1/chain.pb.h"
#include "onvm/v1/rule.pb.h"
#include "onvm/v1/service.pb.h"

namespace onvm::agent {

inline constexpr char kApiVersion[] = "onvm/v1";
inline constexpr uint32_t kStateFormatVersion = 1;
// Service and chain ids travel in 16-bit packet metadata and index engine
// tables sized 4096; id 0 means "none". A kind's ids run 1..Kind<T>::kMaxIds,
// which also bounds how many of it may exist: the engine keeps stats slots
// for at most ONVM_MAX_CHAINS chains and ONVM_MAX_RULES rules.
inline constexpr uint32_t kMaxIdsPerKind = 4095;
// The most the whole desired state may weigh, serialized. Without pagination
// every List response carries a whole kind, and gRPC clients refuse
// responses over 4 MiB by default; the state must also fit one engine
// control frame (8 MiB). The last MiB is left for what List responses add
// (status: ready replicas, traffic counters) and their framing.
inline constexpr size_t kMaxStateBytes = 3u << 20;

// RESOURCE_EXHAUSTED when `state` weighs more than kMaxStateBytes.
absl::Status CheckStateSize(const AgentState& state);

struct DesiredState {
  uint64_t generation = 0;
  uint32_t next_service_id = 1;
  uint32_t next_chain_id = 1;
  uint32_t next_rule_id = 1;
  // Ordered by name so listings, pushes and the state file are deterministic.
  std::map<std::string, onvm::v1::Service> services;
  std::map<std::string, onvm::v1::Chain> chains;
  std::map<std::string, onvm::v1::Rule> rules;
};

AgentState ToProto(const DesiredState& state);
// Rebuilds the in-memory state and checks what the store relies on (valid,
// unique names; unique ids in range; references between resources), since
// the file may have been edited by hand. Errors name the resource.
absl::StatusOr<DesiredState> FromProto(const AgentState& proto);

template <typename T>
struct Kind;

template <>
struct Kind<onvm::v1::Service> {
  static constexpr absl::string_view kName = "Service";
  static constexpr absl::string_view kLower = "service";
  static auto& Map(DesiredState& s) { return s.services; }
  static const auto& Map(const DesiredState& s) { return s.services; }
  static uint32_t& NextId(DesiredState& s) { return s.next_service_id; }
  static constexpr uint32_t kMaxIds = kMaxIdsPerKind;
};

template <>
struct Kind<onvm::v1::Chain> {
  static constexpr absl::string_view kName = "Chain";
  static constexpr absl::string_view kLower = "chain";
  static auto& Map(DesiredState& s) { return s.chains; }
  static const auto& Map(const DesiredState& s) { return s.chains; }
  static uint32_t& NextId(DesiredState& s) { return s.next_chain_id; }
  static constexpr uint32_t kMaxIds = ONVM_MAX_CHAINS;
};

template <>
struct Kind<onvm::v1::Rule> {
  static constexpr absl::string_view kName = "Rule";
  static constexpr absl::string_view kLower = "rule";
  static auto& Map(DesiredState& s) { return s.rules; }
  static const auto& Map(const DesiredState& s) { return s.rules; }
  static uint32_t& NextId(DesiredState& s) { return s.next_rule_id; }
  static constexpr uint32_t kMaxIds = ONVM_MAX_RULES;
};

// `rule "web-in"`, or just `rule` when the name is empty: the prefix of
// every error about a resource.
std::string Describe(absl::string_view kind_lower, absl::string_view name);

template <typename T>
std::string Describe(const T& resource) {
  return Describe(Kind<T>::kLower, resource.metadata().name());
}

// Ids of one kind currently in use.
template <typename T>
absl::flat_hash_set<uint32_t> UsedIds(const DesiredState& state) {
  absl::flat_hash_set<uint32_t> ids;
  for (const auto& [name, r] : Kind<T>::Map(state)) ids.insert(r.status().id());
  return ids;
}

// Hands out the next id of a kind: ids advance from *next and are not
// reused until the counter has gone round all `max_ids` values, then the
// next free one is taken. RESOURCE_EXHAUSTED when every id is in use. Adds
// the id to `used`.
absl::StatusOr<uint32_t> AllocateId(absl::string_view kind_lower,
                                    absl::flat_hash_set<uint32_t>* used, uint32_t* next,
                                    uint32_t max_ids = kMaxIdsPerKind);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_DESIRED_STATE_H_
