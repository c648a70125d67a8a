// The agent's connection to the engine's control socket: one request at a
// time, a cached copy of the engine's state, and what the engine last
// applied. It reports what it learns as events: engine up and down,
// configurations applied, NF instances appearing and going away.
#ifndef ONVM_AGENT_ENGINE_LINK_H_
#define ONVM_AGENT_ENGINE_LINK_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/event_hub.h"
#include "agent/state.pb.h"
#include "agent/validation.h"
#include "onvm/engine/v1/control.pb.h"

namespace onvm::agent {

class EngineLink {
 public:
  static constexpr std::chrono::milliseconds kRequestTimeout{2000};

  enum class PushOutcome {
    kApplied,       // the engine runs the pushed state
    kNotDelivered,  // no connection, or it broke; the reconciler retries
    kRejected,      // the engine answered with an error
  };
  struct PushResult {
    PushOutcome outcome;
    absl::Status status;  // why, unless kApplied
  };

  // `events`, if given, must outlive the link.
  EngineLink(std::string engine_name, std::string socket_path, EventHub* events = nullptr);
  ~EngineLink();

  EngineLink(const EngineLink&) = delete;
  EngineLink& operator=(const EngineLink&) = delete;

  // Connects unless connected, then fetches the engine's state.
  absl::Status Connect();
  bool connected() const;
  // Fetches the engine's state and caches it.
  absl::StatusOr<onvm::engine::v1::EngineState> Refresh();
  // Asks the engine to stop routing new packets to instance `instance_id`
  // (it keeps serving the instance's tx ring). The engine's error if it
  // refuses; UNAVAILABLE if not connected.
  absl::Status DrainInstance(uint32_t instance_id);
  // Sends the whole desired state as the engine's configuration.
  PushResult Push(const AgentState& state);
  // RESOURCE_EXHAUSTED when `state` is too big to send to the engine in one
  // control frame (kMaxFrameBytes): such a state could never be delivered.
  static absl::Status CheckDeliverable(const AgentState& state);

  // The state last fetched while connected; nullopt while disconnected.
  std::optional<onvm::engine::v1::EngineState> current_state() const;
  // Port names as last seen, kept across disconnections so that ports can
  // still be checked; UNAVAILABLE if the engine was never reached.
  absl::StatusOr<PortNames> PortNamesSeen() const;
  // True when connected and the engine does not run `generation` of this
  // agent's state: it applied another one, or it restarted since.
  bool NeedsSync(uint64_t generation) const;
  // Why the link is down, for messages.
  std::string DownReason() const;

  const std::string& engine_name() const { return engine_name_; }

 private:
  absl::StatusOr<onvm::engine::v1::Response> CallLocked(onvm::engine::v1::Request request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  absl::StatusOr<onvm::engine::v1::EngineState> RefreshLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void Disconnect(const absl::Status& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void NoteDown(const absl::Status& why);
  // Publishes ENGINE_UP and the instance changes since the last fetch.
  void NoteFetched(bool came_up, const onvm::engine::v1::EngineState& state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void Publish(onvm::v1::Event::Type type, std::string kind, std::string name, std::string message,
               std::string boot_id = "");

  const std::string engine_name_;
  const std::string socket_path_;
  EventHub* const events_;

  // One request/response on the socket at a time.
  absl::Mutex io_mu_;
  int fd_ ABSL_GUARDED_BY(io_mu_) = -1;
  uint64_t seq_ ABSL_GUARDED_BY(io_mu_) = 0;
  // Instances as last fetched, by instance id, kept across disconnections
  // so that a reconnect reports what changed meanwhile; and the boot id of
  // the engine they belonged to.
  std::map<uint32_t, onvm::engine::v1::InstanceInfo> instances_seen_ ABSL_GUARDED_BY(io_mu_);
  std::string instances_boot_id_ ABSL_GUARDED_BY(io_mu_);

  mutable absl::Mutex cache_mu_ ABSL_ACQUIRED_AFTER(io_mu_);
  bool connected_ ABSL_GUARDED_BY(cache_mu_) = false;
  std::optional<onvm::engine::v1::EngineState> state_ ABSL_GUARDED_BY(cache_mu_);
  std::optional<PortNames> ports_seen_ ABSL_GUARDED_BY(cache_mu_);
  // Boot id of the engine that last applied a push; empty if none did.
  std::string synced_boot_id_ ABSL_GUARDED_BY(cache_mu_);
  std::string down_reason_ ABSL_GUARDED_BY(cache_mu_) = "not connected yet";
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_ENGINE_LINK_H_
