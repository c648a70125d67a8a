// OpenFlow flows <-> onvm rules. Table 0 of the switch is the engine's rule
// classifier: a flow's priority and match become a rule's priority and
// match, its output action the rule's action. What the classifier cannot do
// is refused with the OpenFlow error the spec names, never installed in
// part.
//
// Port numbering (what `output:N` and `in_port=N` mean):
//   - engine port with DPDK port id P: OpenFlow port P + 1;
//   - chain with id C (status.id): logical port kChainPortBase + C, named
//     like the chain; `output:` to it sends the flow through the chain.
//   No actions: drop.
#ifndef ONVM_AGENT_OPENFLOW_FLOW_TRANSLATE_H_
#define ONVM_AGENT_OPENFLOW_FLOW_TRANSLATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "agent/openflow/messages.h"
#include "onvm/v1/rule.pb.h"

namespace onvm::agent::openflow {

// Chains are numbered from here (below 0xff00, which OpenFlow 1.0 tools
// such as ovs-ofctl reserve, so that every tool can name them).
inline constexpr uint32_t kChainPortBase = 0x8000;
inline constexpr char kOriginOpenFlow[] = "openflow";
inline constexpr char kOriginGrpc[] = "grpc";

// OpenFlow port numbers of the engine's ports and the chains.
struct PortMap {
  std::map<uint32_t, std::string> ports;                // engine ports by OpenFlow number
  std::map<uint32_t, std::string> chains;               // chains by logical port number
  uint32_t PortNumber(const std::string& name) const;   // 0 if unknown
  uint32_t ChainNumber(const std::string& name) const;  // 0 if unknown
};

// A match with every field as (value, mask) bytes, masks spelled out (all
// ones for exact), values masked: the form in which matches are compared.
using NormalMatch = std::map<uint8_t, std::pair<std::vector<uint8_t>, std::vector<uint8_t>>>;

// Structural normalisation only: no field is refused (requests that select
// flows may name fields no flow has). DUP_FIELD for a field given twice.
absl::StatusOr<NormalMatch> Normalize(const Match& match);
// True when every packet `flow` matches is also matched by `request`
// (OpenFlow's non-strict selection for modify, delete and stats).
bool Covers(const NormalMatch& request, const NormalMatch& flow);
// True when some packet could match both.
bool Overlaps(const NormalMatch& a, const NormalMatch& b);

// OpenFlow match -> onvm match, in canonical form (eth_type "0x0800",
// ip_proto as a number, prefixes "a.b.c.d/len", ports "53"), checking
// prerequisites, masks and values. OFPET_BAD_MATCH errors.
absl::StatusOr<onvm::v1::Match> ToRuleMatch(const Match& match, const PortMap& ports);
// Instructions -> rule action: one output to an engine port or a chain, or
// none (drop). OFPET_BAD_INSTRUCTION / OFPET_BAD_ACTION errors.
absl::StatusOr<onvm::v1::RuleAction> ToRuleAction(const std::vector<Instruction>& instructions,
                                                  const PortMap& ports);

// The reverse, for flow stats. A rule whose port or chain has no number
// any more (engine restarted with other ports) is NOT_FOUND.
absl::StatusOr<Match> FromRuleMatch(const onvm::v1::Match& match, const PortMap& ports);
absl::StatusOr<std::vector<Instruction>> FromRuleAction(const onvm::v1::RuleAction& action,
                                                        const PortMap& ports);

// The name of the rule that holds the flow (priority, match): "of-" and 16
// hex digits of a hash of both. A flow's identity in OpenFlow is its
// priority and match, so an ADD of the same pair replaces the same rule.
std::string RuleNameFor(uint32_t priority, const onvm::v1::Match& canonical);

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_FLOW_TRANSLATE_H_
