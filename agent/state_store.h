// The agent's desired state: services, chains and rules, validated as a
// whole before any change, pushed to the engine and persisted on commit.
#ifndef ONVM_AGENT_STATE_STORE_H_
#define ONVM_AGENT_STATE_STORE_H_

#include <cstddef>
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
#include "agent/request_cache.h"
#include "agent/state.pb.h"
#include "agent/validation.h"
#include "google/protobuf/field_mask.pb.h"
#include "onvm/v1/apply.pb.h"

namespace onvm::agent {

// How a change of the store is carried out.
struct StoreWriteOptions {
  // Run every check of the change (including the desired-state size) and
  // return its result, but commit nothing: no generation bump, no push, no
  // persist. Only the engine's own acceptance is not checked.
  bool validate_only = false;
};

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
    // Told each state once it is committed (readers see it), in commit
    // order; for events.
    std::function<void(const AgentState&)> committed;
  };

  using WriteOptions = StoreWriteOptions;

  StateStore(DesiredState initial, Hooks hooks);

  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Create returns the stored resource (with status.id); creating an
  // existing resource with the same spec returns it unchanged.
  absl::StatusOr<onvm::v1::Service> CreateService(const onvm::v1::Service& service,
                                                  WriteOptions options = {});
  absl::StatusOr<onvm::v1::Service> GetService(absl::string_view name) const;
  std::vector<onvm::v1::Service> ListServices() const;
  // At most `limit` services named after `after` ("" for the first), in name
  // order; *more tells whether any follow.
  std::vector<onvm::v1::Service> ListServices(absl::string_view after, size_t limit,
                                              bool* more) const;
  absl::Status DeleteService(absl::string_view name, WriteOptions options = {});
  // Replaces the fields of the stored service that `mask` names
  // ("spec.replicas", "spec.launch") with those of `in`, selected by
  // in.metadata.name. An update that changes nothing returns the service
  // as it is, with its generation.
  absl::StatusOr<onvm::v1::Service> UpdateService(const onvm::v1::Service& in,
                                                  const google::protobuf::FieldMask& mask,
                                                  WriteOptions options = {});

  absl::StatusOr<onvm::v1::Chain> CreateChain(const onvm::v1::Chain& chain,
                                              WriteOptions options = {});
  absl::StatusOr<onvm::v1::Chain> GetChain(absl::string_view name) const;
  std::vector<onvm::v1::Chain> ListChains() const;
  std::vector<onvm::v1::Chain> ListChains(absl::string_view after, size_t limit, bool* more) const;
  absl::Status DeleteChain(absl::string_view name, WriteOptions options = {});

  absl::StatusOr<onvm::v1::Rule> CreateRule(const onvm::v1::Rule& rule, WriteOptions options = {});
  absl::StatusOr<onvm::v1::Rule> GetRule(absl::string_view name) const;
  std::vector<onvm::v1::Rule> ListRules() const;
  std::vector<onvm::v1::Rule> ListRules(absl::string_view after, size_t limit, bool* more) const;
  absl::Status DeleteRule(absl::string_view name, WriteOptions options = {});

  // Rules of a controller other than the API (agent/openflow): creates or
  // replaces every rule of `upserts` and deletes those named in `deletes`,
  // in one change, all or none, through the same validation, engine push
  // and persistence as CreateRule. The rules keep `origin` and the
  // openflow_cookie they carry in status.origin and status.openflow_cookie.
  // FAILED_PRECONDITION for a rule of another origin.
  absl::Status ChangeRules(absl::string_view origin, const std::vector<onvm::v1::Rule>& upserts,
                           const std::vector<std::string>& deletes);

  // Creates or replaces every resource of the request (and with
  // request.prune deletes the others of the kinds it holds), all or none.
  // request.validate_only works as WriteOptions::validate_only.
  absl::StatusOr<onvm::v1::ApplyResponse> Apply(const onvm::v1::ApplyRequest& request);

  // Remembers recent requests that carried a request_id (config_api.cc).
  RequestCache& request_cache() { return request_cache_; }

  AgentState Snapshot() const;
  uint64_t generation() const;

  // Runs `fn` on the committed state while no change can commit, so that a
  // reconciler's push never overtakes (or is overtaken by) a change's push.
  void WithCommitLock(absl::FunctionRef<void(const AgentState&)> fn);

 private:
  template <typename T>
  absl::StatusOr<T> Create(const T& in, WriteOptions options);
  template <typename T>
  absl::StatusOr<T> Get(absl::string_view name) const;
  template <typename T>
  std::vector<T> List(absl::string_view after, size_t limit, bool* more) const;
  template <typename T>
  absl::Status Delete(absl::string_view name, WriteOptions options);

  DesiredState Copy() const;
  // Pushes and persists `next`, then publishes it. On failure the committed
  // state, the engine and the file keep the previous state.
  absl::Status Commit(DesiredState next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // Commit, or with validate_only the checks Commit's push would make that
  // need no engine (the desired-state size).
  absl::Status CommitOrCheck(DesiredState next, WriteOptions options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);

  const Hooks hooks_;
  // Serialises changes and engine pushes; held across engine I/O, so
  // readers use mu_ instead and are never stalled by a slow engine.
  absl::Mutex commit_mu_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(commit_mu_);
  DesiredState state_ ABSL_GUARDED_BY(mu_);
  RequestCache request_cache_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_STATE_STORE_H_
