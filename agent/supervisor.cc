#include "agent/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/log.h"
#include "agent/request_cache.h"
#include "onvm/fnv1a.h"

namespace onvm::agent {
namespace {

using onvm::v1::Event;
using onvm::v1::ReplicaStatus;
using onvm::v1::ServiceSpec;

// How long the loop sleeps at most: the granularity of backoff and stop
// deadlines when no process exits and nothing changes.
constexpr absl::Duration kTick = absl::Milliseconds(200);
// Indices for adopted processes whose index another one already has: above
// any spec.replicas, so that the scale logic stops them.
constexpr uint32_t kSurplusIndex = 1u << 20;

bool Launches(const ServiceSpec& spec) {
  return spec.has_launch() && !spec.launch().command().empty();
}

absl::Duration GraceOf(const ServiceSpec& spec, absl::Duration fallback) {
  const uint32_t seconds = spec.launch().grace_period_seconds();
  return seconds == 0 ? fallback : absl::Seconds(seconds);
}

int CoreFor(const ServiceSpec& spec, uint32_t index) {
  const auto& cores = spec.placement().cores();
  if (cores.empty()) return -1;
  return static_cast<int>(cores[static_cast<int>(index % static_cast<uint32_t>(cores.size()))]);
}

const onvm::engine::v1::InstanceInfo* FindInstance(const onvm::engine::v1::EngineState* engine,
                                                   const std::string& service, int pid) {
  if (engine == nullptr || pid <= 0) return nullptr;
  for (const auto& inst : engine->instances()) {
    if (inst.pid() == pid && inst.service() == service) return &inst;
  }
  return nullptr;
}

std::string Seconds(absl::Duration d) { return absl::StrCat(absl::ToDoubleSeconds(d), " s"); }

}  // namespace

std::string LaunchFingerprint(const ServiceSpec& spec) {
  ServiceSpec launch_only = spec;
  launch_only.clear_replicas();
  // The same value in every agent process: a restarted agent compares it
  // with the one in a replica's environment.
  return absl::StrCat(absl::Hex(Fnv1a(DeterministicBytes(launch_only)), absl::kZeroPad16));
}

Supervisor::Supervisor(SupervisorOptions options, EngineLink* link, EventHub* events)
    : options_(std::move(options)),
      link_(link),
      events_(events),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Supervisor::~Supervisor() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Supervisor::Start(const AgentState& desired) {
  SetDesired(desired);
  {
    absl::MutexLock lock(&mu_);
    uint32_t surplus = 0;
    for (const SupervisedProcess& found : FindSupervised(options_.engine)) {
      absl::StatusOr<NfProcess> process = NfProcess::Adopt(found.pid);
      if (!process.ok()) continue;
      ServiceProcs& procs = services_[found.service];
      uint32_t index = found.index;
      if (procs.replicas.count(index) != 0) index = kSurplusIndex + surplus++;
      Replica& r = procs.replicas[index];
      r.index = index;
      r.process = *std::move(process);
      r.fingerprint = found.fingerprint;
      r.core = procs.spec.has_value() ? CoreFor(*procs.spec, found.index) : -1;
      r.started_at = absl::Now();
      LogInfo(absl::StrCat("adopted replica ", index, " of service \"", found.service, "\" (pid ",
                           found.pid, "), started by an earlier agent"));
    }
  }
  thread_ = std::thread([this] { Run(); });
}

void Supervisor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
}

void Supervisor::SetDesired(const AgentState& desired) {
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, procs] : services_) procs.spec.reset();
    for (const onvm::v1::Service& s : desired.services()) {
      if (!Launches(s.spec())) continue;
      ServiceProcs& procs = services_[s.metadata().name()];
      procs.spec = s.spec();
      procs.fingerprint = LaunchFingerprint(s.spec());
      procs.grace = GraceOf(s.spec(), options_.default_grace);
    }
  }
  Wake();
}

ReplicaStatus Supervisor::Status(uint32_t index, const Replica& r) {
  ReplicaStatus st;
  st.set_index(index);
  st.set_state(r.state);
  st.set_pid(r.process.has_value() ? r.process->pid() : 0);
  st.set_instance_id(r.instance_id);
  st.set_restarts(r.restarts);
  st.set_last_exit(r.last_exit);
  st.set_core(r.core);
  if (r.state == ReplicaStatus::BACKOFF) {
    const absl::Duration since_epoch = r.next_start - absl::UnixEpoch();
    st.mutable_next_start_time()->set_seconds(absl::ToInt64Seconds(since_epoch));
    st.mutable_next_start_time()->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(absl::ToInt64Seconds(since_epoch)))));
  }
  return st;
}

std::vector<ReplicaStatus> Supervisor::Replicas(absl::string_view service) const {
  std::vector<ReplicaStatus> out;
  absl::MutexLock lock(&mu_);
  auto it = services_.find(std::string(service));
  if (it == services_.end()) return out;
  for (const auto& [index, r] : it->second.replicas) out.push_back(Status(index, r));
  return out;
}

std::map<std::string, std::vector<ReplicaStatus>> Supervisor::AllReplicas() const {
  std::map<std::string, std::vector<ReplicaStatus>> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, procs] : services_) {
    std::vector<ReplicaStatus>& list = out[name];
    for (const auto& [index, r] : procs.replicas) list.push_back(Status(index, r));
  }
  return out;
}

void Supervisor::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

void Supervisor::Run() {
  for (;;) {
    std::vector<uint32_t> drains;
    std::vector<pollfd> fds;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      drains = Step(absl::Now());
      fds.push_back({wake_fd_, POLLIN, 0});
      for (const auto& [name, procs] : services_) {
        for (const auto& [index, r] : procs.replicas) {
          if (r.process.has_value()) fds.push_back({r.process->pidfd(), POLLIN, 0});
        }
      }
    }
    // Outside mu_: each is a round trip to the engine, and status reads
    // must not wait for it.
    for (uint32_t id : drains) {
      if (absl::Status s = link_->DrainInstance(id); !s.ok()) {
        LogWarning(
            absl::StrCat("cannot drain instance ", id, " before stopping it: ", s.message()));
      }
    }
    if (!drains.empty()) continue;
    ::poll(fds.data(), fds.size(), static_cast<int>(absl::ToInt64Milliseconds(kTick)));
    uint64_t ignored;
    while (::read(wake_fd_, &ignored, sizeof(ignored)) > 0) {
    }
  }
}

std::vector<uint32_t> Supervisor::Step(absl::Time now) {
  std::vector<uint32_t> drains;
  const std::optional<onvm::engine::v1::EngineState> engine = link_->current_state();
  const onvm::engine::v1::EngineState* engine_state = engine.has_value() ? &*engine : nullptr;
  for (auto service_it = services_.begin(); service_it != services_.end();) {
    const std::string& name = service_it->first;
    ServiceProcs& procs = service_it->second;
    Reap(name, &procs, now);

    // What the engine says about each process.
    for (auto& [index, r] : procs.replicas) {
      if (!r.process.has_value()) continue;
      const auto* inst = FindInstance(engine_state, name, r.process->pid());
      r.instance_id = inst != nullptr ? inst->instance_id() : 0;
      if (r.state == ReplicaStatus::STARTING && inst != nullptr &&
          inst->state() == onvm::engine::v1::InstanceInfo::RUNNING) {
        r.state = ReplicaStatus::RUNNING;
      } else if (r.state == ReplicaStatus::RUNNING && inst == nullptr && engine_state != nullptr) {
        r.state = ReplicaStatus::STARTING;  // deregistered (engine restart): registers again
      }
    }

    const uint32_t desired = procs.spec.has_value() ? procs.spec->replicas() : 0;
    // Scale-down (highest indices first) and delete.
    for (auto it = procs.replicas.begin(); it != procs.replicas.end();) {
      Replica& r = it->second;
      if (r.index < desired || r.state == ReplicaStatus::STOPPING) {
        ++it;
        continue;
      }
      if (!r.process.has_value()) {  // waiting to start again: nothing to stop
        it = procs.replicas.erase(it);
        continue;
      }
      r.state = ReplicaStatus::STOPPING;
      ++it;
    }
    // A changed launch spec replaces running replicas one at a time, each
    // only while all the others run.
    if (desired > 0) {
      bool all_running = true;
      Replica* outdated = nullptr;
      for (auto& [index, r] : procs.replicas) {
        if (index >= desired) continue;
        if (r.state != ReplicaStatus::RUNNING) all_running = false;
        if (outdated == nullptr && r.fingerprint != procs.fingerprint) outdated = &r;
      }
      if (all_running && outdated != nullptr) {
        outdated->state = ReplicaStatus::STOPPING;
        outdated->replacing = true;
      }
    }
    // Start what is missing or due.
    for (uint32_t i = 0; i < desired; ++i) {
      auto it = procs.replicas.find(i);
      if (it == procs.replicas.end()) {
        Replica& r = procs.replicas[i];
        r.index = i;
        Launch(name, procs, &r, now);
      } else if (it->second.state == ReplicaStatus::BACKOFF && now >= it->second.next_start) {
        Launch(name, procs, &it->second, now);
      }
    }
    for (auto& [index, r] : procs.replicas) {
      if (r.state == ReplicaStatus::STOPPING) AdvanceStop(name, &r, now, engine_state, &drains);
    }

    if (!procs.spec.has_value() && procs.replicas.empty()) {
      service_it = services_.erase(service_it);
    } else {
      ++service_it;
    }
  }
  return drains;
}

void Supervisor::Reap(const std::string& service, ServiceProcs* procs, absl::Time now) {
  for (auto it = procs->replicas.begin(); it != procs->replicas.end();) {
    Replica& r = it->second;
    std::string how;
    if (!r.process.has_value() || !r.process->Ended(&how)) {
      ++it;
      continue;
    }
    const pid_t pid = r.process->pid();
    r.process.reset();
    r.instance_id = 0;
    if (r.state == ReplicaStatus::STOPPING) {
      Publish(
          Event::REPLICA_STOPPED, service,
          absl::StrCat("stopped replica ", r.index, " (pid ", pid, ") of service \"", service, "\"",
                       r.replacing ? " to start it with the new launch spec" : "", ": ", how));
      it = procs->replicas.erase(it);
      continue;
    }
    r.restarts++;
    r.last_exit = how;
    r.backoff = r.backoff == absl::ZeroDuration() || now - r.started_at >= options_.stable_after
                    ? options_.first_backoff
                    : std::min(2 * r.backoff, options_.max_backoff);
    r.next_start = now + r.backoff;
    r.state = ReplicaStatus::BACKOFF;
    Publish(Event::REPLICA_CRASHED, service,
            absl::StrCat("replica ", r.index, " (pid ", pid, ") of service \"", service,
                         "\" ended: ", how, "; starting it again in ", Seconds(r.backoff),
                         " (restart ", r.restarts, ")"));
    ++it;
  }
}

void Supervisor::Launch(const std::string& service, const ServiceProcs& procs, Replica* r,
                        absl::Time now) {
  const ServiceSpec& spec = *procs.spec;
  LaunchRequest request;
  request.command = spec.launch().command();
  request.core = CoreFor(spec, r->index);
  request.args = {"--engine", options_.engine, "--service", service};
  if (request.core >= 0) {
    request.args.push_back("--core");
    request.args.push_back(absl::StrCat(request.core));
  }
  if (spec.core_mode() == onvm::v1::SHARED) request.args.push_back("--shared-core");
  request.args.insert(request.args.end(), spec.launch().args().begin(), spec.launch().args().end());
  request.env.insert(spec.launch().env().begin(), spec.launch().env().end());
  request.env[kSupervisedEnv] =
      SupervisedMarker(options_.engine, service, r->index, procs.fingerprint);

  r->started_at = now;
  r->fingerprint = procs.fingerprint;
  r->core = request.core;
  r->instance_id = 0;
  r->replacing = r->drain_sent = r->term_sent = r->kill_sent = false;
  absl::StatusOr<NfProcess> process = NfProcess::Launch(request);
  if (!process.ok()) {
    r->restarts += r->state == ReplicaStatus::BACKOFF ? 1 : 0;
    r->last_exit = absl::StrCat("cannot start: ", process.status().message());
    r->backoff = r->backoff == absl::ZeroDuration()
                     ? options_.first_backoff
                     : std::min(2 * r->backoff, options_.max_backoff);
    r->next_start = now + r->backoff;
    r->state = ReplicaStatus::BACKOFF;
    Publish(Event::REPLICA_CRASHED, service,
            absl::StrCat("cannot start replica ", r->index, " of service \"", service, "\": ",
                         process.status().message(), "; trying again in ", Seconds(r->backoff)));
    return;
  }
  const pid_t pid = process->pid();
  r->process = *std::move(process);
  r->state = ReplicaStatus::STARTING;
  Publish(Event::REPLICA_STARTED, service,
          absl::StrCat("started replica ", r->index, " of service \"", service, "\" (pid ", pid,
                       request.core >= 0 ? absl::StrCat(", core ", request.core) : "", ")"));
}

void Supervisor::AdvanceStop(const std::string& service, Replica* r, absl::Time now,
                             const onvm::engine::v1::EngineState* engine,
                             std::vector<uint32_t>* drains) {
  if (!r->process.has_value()) return;
  const auto* inst = FindInstance(engine, service, r->process->pid());
  if (!r->drain_sent) {
    r->drain_sent = true;
    r->deadline = now + options_.drain_timeout;
    if (inst != nullptr && inst->state() == onvm::engine::v1::InstanceInfo::RUNNING) {
      drains->push_back(inst->instance_id());
      return;
    }
    if (inst == nullptr || inst->state() != onvm::engine::v1::InstanceInfo::DRAINING) {
      r->deadline = now;  // gets no traffic: nothing to drain
    }
  }
  const absl::Duration grace = services_[service].grace;
  if (!r->term_sent) {
    // Drained once the engine reports it draining (so the count is from
    // after the drain) with nothing left on its rx ring.
    const bool drained =
        inst == nullptr ||
        (inst->state() == onvm::engine::v1::InstanceInfo::DRAINING && inst->rx_ring_count() == 0);
    if (drained || now >= r->deadline) {
      r->process->Signal(SIGTERM);
      r->term_sent = true;
      r->deadline = now + grace;
    }
    return;
  }
  if (!r->kill_sent && now >= r->deadline) {
    LogWarning(absl::StrCat("replica ", r->index, " (pid ", r->process->pid(), ") of service \"",
                            service, "\" outlived its grace period of ", Seconds(grace),
                            " after SIGTERM; sending SIGKILL"));
    r->process->Signal(SIGKILL);
    r->kill_sent = true;
  }
}

void Supervisor::Publish(Event::Type type, const std::string& service, std::string message) {
  if (type == Event::REPLICA_CRASHED) {
    LogWarning(message);
  } else {
    LogInfo(message);
  }
  if (events_ == nullptr) return;
  Event event;
  event.set_type(type);
  event.mutable_object()->set_kind("Service");
  event.mutable_object()->set_name(service);
  event.set_message(std::move(message));
  events_->Publish(std::move(event));
}

}  // namespace onvm::agent
