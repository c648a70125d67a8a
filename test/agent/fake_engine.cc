#include "test/agent/fake_engine.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "onvm/control_frame.h"

namespace onvm::agent::testing {

using onvm::engine::v1::Request;
using onvm::engine::v1::Response;

FakeEngine::FakeEngine(std::string socket_path, std::vector<std::string> ports)
    : socket_path_(std::move(socket_path)) {
  state_.set_name("fake");
  state_.set_boot_id("boot-1");
  uint32_t id = 0;
  for (const std::string& name : ports) {
    onvm::engine::v1::PortInfo* port = state_.add_ports();
    port->set_name(name);
    port->set_devargs("net_null" + std::to_string(id));
    port->set_port_id(id);
    port->set_stats_slot(id);
    port->set_link_up(true);
    ++id;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof(addr.sun_path) - 1);
  ::unlink(socket_path_.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 4) != 0) {
    std::abort();
  }
  thread_ = std::thread([this] { Serve(); });
}

FakeEngine::~FakeEngine() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
  ::unlink(socket_path_.c_str());
}

void FakeEngine::RejectNext(absl::Status status) {
  absl::MutexLock lock(&mu_);
  reject_next_ = std::move(status);
}

void FakeEngine::Restart(std::string boot_id) {
  absl::MutexLock lock(&mu_);
  drop_client_ = true;
  state_.set_boot_id(std::move(boot_id));
  state_.set_applied_generation(0);
  state_.clear_instances();
}

void FakeEngine::AddInstance(const std::string& service, uint32_t id) {
  absl::MutexLock lock(&mu_);
  onvm::engine::v1::InstanceInfo* info = state_.add_instances();
  info->set_service(service);
  info->set_instance_id(id);
  info->set_pid(1000 + static_cast<int32_t>(id));
  info->set_state(onvm::engine::v1::InstanceInfo::RUNNING);
  info->set_stats_slot(id);
}

void FakeEngine::DrainInstance(uint32_t id) {
  absl::MutexLock lock(&mu_);
  for (onvm::engine::v1::InstanceInfo& info : *state_.mutable_instances()) {
    if (info.instance_id() == id) info.set_state(onvm::engine::v1::InstanceInfo::DRAINING);
  }
}

void FakeEngine::RemoveInstance(uint32_t id) {
  absl::MutexLock lock(&mu_);
  auto* instances = state_.mutable_instances();
  for (int i = 0; i < instances->size(); ++i) {
    if (instances->Get(i).instance_id() == id) {
      instances->DeleteSubrange(i, 1);
      return;
    }
  }
}

std::vector<onvm::engine::v1::SetConfig> FakeEngine::configs() const {
  absl::MutexLock lock(&mu_);
  return configs_;
}

onvm::engine::v1::SetConfig FakeEngine::last_config() const {
  absl::MutexLock lock(&mu_);
  return configs_.empty() ? onvm::engine::v1::SetConfig() : configs_.back();
}

size_t FakeEngine::config_count() const {
  absl::MutexLock lock(&mu_);
  return configs_.size();
}

Response FakeEngine::Handle(const Request& request) {
  absl::MutexLock lock(&mu_);
  Response response;
  response.set_seq(request.seq());
  if (request.has_get_state()) {
    *response.mutable_state() = state_;
  } else if (request.has_set_config()) {
    if (!reject_next_.ok()) {
      response.set_code(static_cast<int32_t>(reject_next_.code()));
      response.set_message(std::string(reject_next_.message()));
      reject_next_ = absl::OkStatus();
    } else {
      configs_.push_back(request.set_config());
      state_.set_applied_generation(request.set_config().generation());
      response.mutable_set_config()->set_applied_generation(request.set_config().generation());
    }
  } else {
    response.set_code(static_cast<int32_t>(absl::StatusCode::kUnimplemented));
  }
  return response;
}

void FakeEngine::Serve() {
  int client = -1;
  FrameDecoder decoder;
  while (!stop_) {
    {
      absl::MutexLock lock(&mu_);
      if (drop_client_ && client >= 0) {
        ::close(client);
        client = -1;
      }
      drop_client_ = false;
    }
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {client, POLLIN, 0}};
    if (::poll(fds, client >= 0 ? 2 : 1, 50) <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        if (client >= 0) ::close(client);
        client = fd;
        decoder = FrameDecoder();
      }
      continue;
    }
    if (client < 0 || fds[1].revents == 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(client, buf, sizeof(buf), 0);
    if (n <= 0) {
      ::close(client);
      client = -1;
      continue;
    }
    decoder.Feed(absl::string_view(buf, static_cast<size_t>(n)));
    for (;;) {
      absl::StatusOr<std::optional<std::string>> payload = decoder.Next();
      if (!payload.ok() || !payload->has_value()) break;
      Request request;
      request.ParseFromString(**payload);
      const std::string frame = EncodeFrame(Handle(request));
      if (::send(client, frame.data(), frame.size(), MSG_NOSIGNAL) < 0) break;
    }
  }
  if (client >= 0) ::close(client);
}

}  // namespace onvm::agent::testing
