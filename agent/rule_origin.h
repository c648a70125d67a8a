// Who installed a rule (RuleStatus.origin): the gRPC API (and everything
// built on it: manifests, onvmctl) or an OpenFlow controller (agent/openflow).
// Both kinds live in one desired state and one classifier; each side may
// change and delete only its own, so that neither silently removes what the
// other installed. Services and chains have no origin.
#ifndef ONVM_AGENT_RULE_ORIGIN_H_
#define ONVM_AGENT_RULE_ORIGIN_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "onvm/v1/rule.pb.h"

namespace onvm::agent {

inline constexpr char kRuleOriginGrpc[] = "grpc";
inline constexpr char kRuleOriginOpenFlow[] = "openflow";

// A rule stored before origins existed came through the API.
inline bool IsOpenFlowRule(const onvm::v1::Rule& rule) {
  return rule.status().origin() == kRuleOriginOpenFlow;
}

// Marks a resource the API creates.
template <typename T>
void MarkGrpcOrigin(T*) {}
inline void MarkGrpcOrigin(onvm::v1::Rule* rule) {
  rule->mutable_status()->set_origin(kRuleOriginGrpc);
}

// FAILED_PRECONDITION when the API may not replace or delete `stored`.
template <typename T>
absl::Status CheckGrpcMayChange(const T&) {
  return absl::OkStatus();
}
inline absl::Status CheckGrpcMayChange(const onvm::v1::Rule& stored) {
  if (!IsOpenFlowRule(stored)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("rule \"", stored.metadata().name(),
                   "\" was installed by an OpenFlow controller (origin openflow); change or "
                   "delete it through OpenFlow"));
}

// What a stored resource keeps of its status besides the id, across
// restarts (the rest of its status is observed, not stored).
template <typename T>
void KeepStoredStatus(const T&, T*) {}
inline void KeepStoredStatus(const onvm::v1::Rule& from, onvm::v1::Rule* to) {
  to->mutable_status()->set_origin(from.status().origin().empty() ? kRuleOriginGrpc
                                                                  : from.status().origin());
  to->mutable_status()->set_openflow_cookie(from.status().openflow_cookie());
}

}  // namespace onvm::agent

#endif  // ONVM_AGENT_RULE_ORIGIN_H_
