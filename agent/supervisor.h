// Runs the NF replica processes of services that carry a launch spec: one
// process per replica, pinned to its core, started again with exponential
// backoff when it exits, drained and then stopped on scale-down. The
// contract is in proto/onvm/v1/service.proto (LaunchSpec, ReplicaStatus).
//
// Replicas outlive the agent: stopping or restarting the agent leaves them
// running, and the next agent adopts them (NfProcess, FindSupervised).
#ifndef ONVM_AGENT_SUPERVISOR_H_
#define ONVM_AGENT_SUPERVISOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/engine_link.h"
#include "agent/event_hub.h"
#include "agent/nf_process.h"
#include "agent/state.pb.h"
#include "onvm/v1/service.pb.h"

namespace onvm::agent {

struct SupervisorOptions {
  std::string engine;  // passed to replicas as --engine
  absl::Duration first_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  // A replica that ran this long before exiting starts again after
  // first_backoff.
  absl::Duration stable_after = absl::Seconds(60);
  // Scale-down: the longest wait for a draining replica's rx ring to empty.
  absl::Duration drain_timeout = absl::Seconds(5);
  absl::Duration default_grace = absl::Seconds(10);
};

class Supervisor {
 public:
  // `link` and `events` must outlive the supervisor.
  Supervisor(SupervisorOptions options, EngineLink* link, EventHub* events);
  // Stops watching; the replicas keep running.
  ~Supervisor();

  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Adopts the replicas an earlier agent started, then starts the loop.
  void Start(const AgentState& desired);
  void Stop();
  // A new desired state (after every commit).
  void SetDesired(const AgentState& desired);

  // status.replicas of `service` (empty without a launch spec).
  std::vector<onvm::v1::ReplicaStatus> Replicas(absl::string_view service) const;
  // Every supervised service's replicas, by service name.
  std::map<std::string, std::vector<onvm::v1::ReplicaStatus>> AllReplicas() const;

 private:
  struct Replica {
    uint32_t index = 0;
    onvm::v1::ReplicaStatus::State state = onvm::v1::ReplicaStatus::STARTING;
    std::optional<NfProcess> process;
    std::string fingerprint;  // of the spec it was started with
    int core = -1;
    uint32_t instance_id = 0;
    uint32_t restarts = 0;
    std::string last_exit;
    absl::Time started_at;
    absl::Duration backoff;  // the last delay (0: none yet)
    absl::Time next_start;   // BACKOFF
    // STOPPING
    bool replacing = false;  // stopped for a changed spec, not scale-down
    bool drain_sent = false;
    bool term_sent = false;
    bool kill_sent = false;
    absl::Time deadline;
  };
  struct ServiceProcs {
    std::optional<onvm::v1::ServiceSpec> spec;  // nullopt: stop everything
    std::string fingerprint;
    absl::Duration grace;  // of the last spec, for stops after a delete
    std::map<uint32_t, Replica> replicas;
  };

  static onvm::v1::ReplicaStatus Status(uint32_t index, const Replica& r);
  void Run();
  // One pass: reap, match instances, scale, restart, stop. Returns the
  // engine drains to send (instance ids), which happen outside mu_.
  std::vector<uint32_t> Step(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Reap(const std::string& service, ServiceProcs* procs, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Launch(const std::string& service, const ServiceProcs& procs, Replica* r, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AdvanceStop(const std::string& service, Replica* r, absl::Time now,
                   const onvm::engine::v1::EngineState* engine, std::vector<uint32_t>* drains)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(onvm::v1::Event::Type type, const std::string& service, std::string message);
  void Wake();

  const SupervisorOptions options_;
  EngineLink* const link_;
  EventHub* const events_;
  int wake_fd_ = -1;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, ServiceProcs> services_ ABSL_GUARDED_BY(mu_);
};

// What identifies the way a replica is launched (launch spec, placement,
// core mode; not the replica count): a changed fingerprint replaces the
// running replicas one at a time.
std::string LaunchFingerprint(const onvm::v1::ServiceSpec& spec);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_SUPERVISOR_H_
