// The agent's desired state: services, chains and rules, validated as a
// whole before any change, pushed to the engine and persisted on commit.
#ifndef ONVM_AGENT_STATE_STORE_H_
#define ONVM_AGENT_STATE_STORE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "agent/desired_state.h"
#include "agent/state.pb.h"
#include "agent/validation.h"
#include "google/protobuf/field_mask.pb.h"
#include "onvm/v1/apply.pb.h"

namespace onvm::agent {

class StateStore {
 public:
  // Called, in this order, with the candidate state of every change while
  // the store holds its commit lock. Any of them may be empty (tests).
  struct Hooks {
    // The engine's port names, for references to ports.
    PortNamesFn port_names;
    // Hands the candidate to the engine. OK when the engine applied it or
    // cannot be reached right now (the reconciler catches up); an error
    // only when the engine refused it, which aborts the change.
    std::function<absl::Status(const AgentState&)> push;
    // Makes the candidate durable; an error aborts the change.
    std::function<absl::Status(const AgentState&)> persist;
  };

  StateStore(DesiredState initial, Hooks hooks);

  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Create returns the stored resource (with status.id); creating an
  // existing resource with the same spec returns it unchanged.
  absl::StatusOr<onvm::v1::Service> CreateService(const onvm::v1::Service& service);
  absl::StatusOr<onvm::v1::Service> GetService(absl::string_view name) const;
  std::vector<onvm::v1::Service> ListServices() const;
  absl::Status DeleteService(absl::string_view name);
  // Replaces the fields of the stored service that `mask` names
  // ("spec.replicas", "spec.launch") with those of `in`, selected by
  // in.metadata.name. An update that changes nothing returns the service
  // as it is, with its generation.
  absl::StatusOr<onvm::v1::Service> UpdateService(const onvm::v1::Service& in,
                                                  const google::protobuf::FieldMask& mask);

  absl::StatusOr<onvm::v1::Chain> CreateChain(const onvm::v1::Chain& chain);
  absl::StatusOr<onvm::v1::Chain> GetChain(absl::string_view name) const;
  std::vector<onvm::v1::Chain> ListChains() const;
  absl::Status DeleteChain(absl::string_view name);

  absl::StatusOr<onvm::v1::Rule> CreateRule(const onvm::v1::Rule& rule);
  absl::StatusOr<onvm::v1::Rule> GetRule(absl::string_view name) const;
  std::vector<onvm::v1::Rule> ListRules() const;
  absl::Status DeleteRule(absl::string_view name);

  // Creates or replaces every resource of the request, all or none.
  absl::StatusOr<onvm::v1::ApplyResponse> Apply(const onvm::v1::ApplyRequest& request);

  AgentState Snapshot() const;
  uint64_t generation() const;

  // Runs `fn` on the committed state while no change can commit, so that a
  // reconciler's push never overtakes (or is overtaken by) a change's push.
  void WithCommitLock(absl::FunctionRef<void(const AgentState&)> fn);

 private:
  template <typename T>
  absl::StatusOr<T> Create(const T& in);
  template <typename T>
  absl::StatusOr<T> Get(absl::string_view name) const;
  template <typename T>
  std::vector<T> List() const;
  template <typename T>
  absl::Status Delete(absl::string_view name);

  DesiredState Copy() const;
  // Pushes and persists `next`, then publishes it. On failure the committed
  // state, the engine and the file keep the previous state.
  absl::Status Commit(DesiredState next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);

  const Hooks hooks_;
  // Serialises changes and engine pushes; held across engine I/O, so
  // readers use mu_ instead and are never stalled by a slow engine.
  absl::Mutex commit_mu_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(commit_mu_);
  DesiredState state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_STATE_STORE_H_
