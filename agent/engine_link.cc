#include "agent/engine_link.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/log.h"
#include "onvm/control_frame.h"

namespace onvm::agent {
namespace {

using onvm::engine::v1::EngineState;
using onvm::engine::v1::InstanceInfo;
using onvm::engine::v1::Request;
using onvm::engine::v1::Response;

absl::StatusCode EngineCode(int32_t code) {
  if (code <= 0 || code > static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
    return absl::StatusCode::kUnknown;
  }
  return static_cast<absl::StatusCode>(code);
}

// "<service>-<instance id>", the Instance resource's name.
std::string InstanceName(const InstanceInfo& info) {
  return absl::StrCat(info.service(), "-", info.instance_id());
}

std::string InstanceWords(const InstanceInfo& info) {
  return absl::StrCat("instance ", InstanceName(info), " (pid ", info.pid(), ") of service \"",
                      info.service(), "\"");
}

}  // namespace

EngineLink::EngineLink(std::string engine_name, std::string socket_path, EventHub* events)
    : engine_name_(std::move(engine_name)), socket_path_(std::move(socket_path)), events_(events) {}

EngineLink::~EngineLink() {
  absl::MutexLock lock(&io_mu_);
  if (fd_ >= 0) ::close(fd_);
}

absl::Status EngineLink::Connect() {
  absl::MutexLock lock(&io_mu_);
  if (fd_ >= 0) return absl::OkStatus();
  absl::StatusOr<int> fd = ConnectUnix(socket_path_);
  if (!fd.ok()) {
    NoteDown(fd.status());
    return fd.status();
  }
  fd_ = *fd;
  absl::StatusOr<EngineState> state = RefreshLocked();
  if (!state.ok()) {
    if (fd_ >= 0) Disconnect(state.status());
    return state.status();
  }
  LogInfo(absl::StrCat("connected to engine \"", engine_name_, "\" at ", socket_path_, " (boot id ",
                       state->boot_id(), ", applied generation ", state->applied_generation(), ", ",
                       state->ports_size(), " ports, ", state->instances_size(), " instances)"));
  return absl::OkStatus();
}

bool EngineLink::connected() const {
  absl::MutexLock lock(&cache_mu_);
  return connected_;
}

absl::StatusOr<EngineState> EngineLink::Refresh() {
  absl::MutexLock lock(&io_mu_);
  return RefreshLocked();
}

absl::StatusOr<EngineState> EngineLink::RefreshLocked() {
  Request request;
  request.mutable_get_state();
  absl::StatusOr<Response> response = CallLocked(std::move(request));
  if (!response.ok()) return response.status();
  if (response->code() != 0) {
    return absl::Status(EngineCode(response->code()),
                        absl::StrCat("engine \"", engine_name_,
                                     "\" did not report its state: ", response->message()));
  }
  if (!response->has_state()) {
    absl::Status s = absl::DataLossError("engine reply to GetState carries no state");
    Disconnect(s);
    return s;
  }
  PortNames ports;
  for (const auto& port : response->state().ports()) ports.insert(port.name());
  bool came_up = false;
  {
    absl::MutexLock lock(&cache_mu_);
    came_up = !connected_;
    connected_ = true;
    state_ = response->state();
    ports_seen_ = std::move(ports);
  }
  NoteFetched(came_up, response->state());
  return std::move(*response->mutable_state());
}

void EngineLink::NoteFetched(bool came_up, const EngineState& state) {
  if (events_ == nullptr) return;
  const bool restarted = !instances_boot_id_.empty() && instances_boot_id_ != state.boot_id();
  if (came_up) {
    Publish(onvm::v1::Event::ENGINE_UP, "Engine", engine_name_,
            absl::StrCat("connected to engine \"", engine_name_, "\" (boot id ", state.boot_id(),
                         restarted ? "; the engine restarted)" : ")"),
            state.boot_id());
  }
  std::map<uint32_t, InstanceInfo> now;
  for (const InstanceInfo& info : state.instances()) now[info.instance_id()] = info;
  // The same id with another pid is another process.
  auto same = [restarted](const InstanceInfo& a, const InstanceInfo& b) {
    return !restarted && a.pid() == b.pid() && a.service() == b.service();
  };
  for (const auto& [id, old] : instances_seen_) {
    auto it = now.find(id);
    if (it != now.end() && same(old, it->second)) continue;
    if (old.state() == InstanceInfo::DRAINING && !restarted) {
      Publish(onvm::v1::Event::INSTANCE_STOPPED, "Instance", InstanceName(old),
              absl::StrCat(InstanceWords(old), " stopped after draining"));
    } else {
      Publish(onvm::v1::Event::INSTANCE_GONE, "Instance", InstanceName(old),
              absl::StrCat(InstanceWords(old), " is gone without a clean stop",
                           restarted ? " (the engine restarted)" : ""));
    }
  }
  for (const auto& [id, info] : now) {
    auto it = instances_seen_.find(id);
    if (it != instances_seen_.end() && same(it->second, info)) continue;
    Publish(onvm::v1::Event::INSTANCE_STARTED, "Instance", InstanceName(info),
            absl::StrCat(InstanceWords(info), " registered"));
  }
  instances_seen_ = std::move(now);
  instances_boot_id_ = state.boot_id();
}

void EngineLink::Publish(onvm::v1::Event::Type type, std::string kind, std::string name,
                         std::string message, std::string boot_id) {
  if (events_ == nullptr) return;
  onvm::v1::Event event;
  event.set_type(type);
  event.mutable_object()->set_kind(std::move(kind));
  event.mutable_object()->set_name(std::move(name));
  event.set_message(std::move(message));
  event.set_boot_id(std::move(boot_id));
  events_->Publish(std::move(event));
}

// SetConfig carries the same services, chains and rules as AgentState
// (one-byte tags both), and its Request adds a few bytes of framing.
constexpr size_t kRequestOverhead = 64;
static_assert(kMaxStateBytes + kRequestOverhead <= kMaxFrameBytes,
              "a desired state the store accepts must fit one control frame");

absl::Status EngineLink::CheckDeliverable(const AgentState& state) {
  const size_t bytes = state.ByteSizeLong() + kRequestOverhead;
  if (bytes <= kMaxFrameBytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "the desired state would take ", bytes, " bytes to send to the engine, over the limit of ",
      kMaxFrameBytes, " bytes of its control protocol (delete resources or shorten launch specs)"));
}

absl::Status EngineLink::DrainInstance(uint32_t instance_id) {
  Request request;
  request.mutable_drain_instance()->set_instance_id(instance_id);
  absl::MutexLock lock(&io_mu_);
  absl::StatusOr<Response> response = CallLocked(std::move(request));
  if (!response.ok()) return response.status();
  if (response->code() != 0) {
    return absl::Status(EngineCode(response->code()), response->message());
  }
  return absl::OkStatus();
}

EngineLink::PushResult EngineLink::Push(const AgentState& state) {
  if (absl::Status s = CheckDeliverable(state); !s.ok()) return {PushOutcome::kRejected, s};
  Request request;
  onvm::engine::v1::SetConfig* config = request.mutable_set_config();
  config->set_generation(state.generation());
  *config->mutable_services() = state.services();
  *config->mutable_chains() = state.chains();
  *config->mutable_rules() = state.rules();

  absl::MutexLock lock(&io_mu_);
  absl::StatusOr<Response> response = CallLocked(std::move(request));
  if (!response.ok()) return {PushOutcome::kNotDelivered, response.status()};
  if (response->code() != 0) {
    return {PushOutcome::kRejected,
            absl::Status(EngineCode(response->code()),
                         absl::StrCat("engine \"", engine_name_,
                                      "\" refused the configuration: ", response->message()))};
  }
  const uint64_t applied =
      response->has_set_config() ? response->set_config().applied_generation() : state.generation();
  std::string boot_id;
  {
    absl::MutexLock cache_lock(&cache_mu_);
    if (state_.has_value()) {
      state_->set_applied_generation(applied);
      synced_boot_id_ = state_->boot_id();
      boot_id = synced_boot_id_;
    }
  }
  if (events_ != nullptr) {
    onvm::v1::Event event;
    event.set_type(onvm::v1::Event::CONFIG_APPLIED);
    event.mutable_object()->set_kind("Engine");
    event.mutable_object()->set_name(engine_name_);
    event.set_desired_generation(state.generation());
    event.set_applied_generation(applied);
    event.set_boot_id(boot_id);
    event.set_message(absl::StrCat("engine \"", engine_name_, "\" applied desired generation ",
                                   state.generation(), " (", state.services_size(), " services, ",
                                   state.chains_size(), " chains, ", state.rules_size(),
                                   " rules)"));
    events_->Publish(std::move(event));
  }
  return {PushOutcome::kApplied, absl::OkStatus()};
}

std::optional<EngineState> EngineLink::current_state() const {
  absl::MutexLock lock(&cache_mu_);
  return state_;
}

absl::StatusOr<PortNames> EngineLink::PortNamesSeen() const {
  absl::MutexLock lock(&cache_mu_);
  if (ports_seen_.has_value()) return *ports_seen_;
  return absl::UnavailableError(absl::StrCat("engine \"", engine_name_,
                                             "\" has not been reachable since the agent started (",
                                             down_reason_, ")"));
}

bool EngineLink::NeedsSync(uint64_t generation) const {
  absl::MutexLock lock(&cache_mu_);
  return connected_ && state_.has_value() &&
         (state_->boot_id() != synced_boot_id_ || state_->applied_generation() != generation);
}

std::string EngineLink::DownReason() const {
  absl::MutexLock lock(&cache_mu_);
  return connected_ ? std::string() : down_reason_;
}

absl::StatusOr<Response> EngineLink::CallLocked(Request request) {
  if (fd_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("not connected to engine \"", engine_name_, "\": ", DownReason()));
  }
  request.set_seq(++seq_);
  if (absl::Status s = WriteFrame(fd_, request); !s.ok()) {
    Disconnect(s);
    return s;
  }
  Response response;
  if (absl::Status s = ReadFrame(fd_, &response, kRequestTimeout); !s.ok()) {
    Disconnect(s);
    return s;
  }
  // One request is outstanding at a time, so any other seq is a protocol
  // fault that leaves the stream unusable.
  if (response.seq() != request.seq()) {
    absl::Status s = absl::DataLossError(
        absl::StrCat("engine replied with seq ", response.seq(), " to request ", request.seq()));
    Disconnect(s);
    return s;
  }
  return response;
}

void EngineLink::Disconnect(const absl::Status& why) {
  ::close(fd_);
  fd_ = -1;
  bool was_connected = false;
  std::string boot_id;
  {
    absl::MutexLock lock(&cache_mu_);
    was_connected = connected_;
    if (state_.has_value()) boot_id = state_->boot_id();
    connected_ = false;
    state_.reset();
    down_reason_ = std::string(why.message());
  }
  LogWarning(absl::StrCat("lost connection to engine \"", engine_name_, "\": ", why.message()));
  if (was_connected) {
    Publish(onvm::v1::Event::ENGINE_DOWN, "Engine", engine_name_,
            absl::StrCat("lost connection to engine \"", engine_name_, "\": ", why.message()),
            boot_id);
  }
}

void EngineLink::NoteDown(const absl::Status& why) {
  absl::MutexLock lock(&cache_mu_);
  // Reconnects are attempted twice a second; log each new reason once.
  if (down_reason_ == why.message()) return;
  down_reason_ = std::string(why.message());
  LogWarning(absl::StrCat("engine \"", engine_name_, "\" unreachable: ", why.message()));
}

}  // namespace onvm::agent
