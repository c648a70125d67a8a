#include "control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace onvm::engine {
namespace {

// A control client that opens more connections than this is misbehaving.
constexpr size_t kMaxConnections = 512;
// Unsent replies beyond this mean the peer stopped reading.
constexpr size_t kMaxPendingOutput = 32u << 20;

onvm::engine::v1::Response ErrorResponse(uint64_t seq, absl::StatusCode code,
                                         const std::string& message) {
  onvm::engine::v1::Response r;
  r.set_seq(seq);
  r.set_code(static_cast<int>(code));
  r.set_message(message);
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Listen(const std::string& path,
                                                                     RequestHandler on_request,
                                                                     CloseHandler on_close) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("control socket path too long: ", path));
  }
  if (auto live = ConnectUnix(path); live.ok()) {
    close(*live);
    return absl::AlreadyExistsError(absl::StrCat("another engine is already serving ", path));
  }
  unlink(path.c_str());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 64) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("control socket ", path, ": ", std::strerror(err)));
  }
  // Registering NFs and configuring the engine is for root and the onvm
  // group only.
  chmod(path.c_str(), 0660);
  return std::unique_ptr<ControlServer>(
      new ControlServer(path, fd, std::move(on_request), std::move(on_close)));
}

ControlServer::~ControlServer() {
  for (auto& [id, c] : conns_) close(c.fd);
  close(listen_fd_);
  unlink(path_.c_str());
}

void ControlServer::PollOnce(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<int> ids;
  fds.push_back({listen_fd_, POLLIN, 0});
  ids.push_back(0);
  for (auto& [id, c] : conns_) {
    short events = POLLIN;
    if (!c.out.empty()) events |= POLLOUT;
    fds.push_back({c.fd, events, 0});
    ids.push_back(id);
  }
  const int r = poll(fds.data(), fds.size(), timeout_ms);
  if (r <= 0) return;
  if (fds[0].revents & POLLIN) Accept();
  for (size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    auto it = conns_.find(ids[i]);
    if (it == conns_.end()) continue;
    Connection& c = it->second;
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) Read(ids[i], c);
    it = conns_.find(ids[i]);
    if (it == conns_.end()) continue;
    if (!it->second.out.empty()) Write(it->second);
    if (it->second.closing && it->second.out.empty()) Close(ids[i]);
  }
}

void ControlServer::Accept() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (conns_.size() >= kMaxConnections) {
      close(fd);
      continue;
    }
    conns_.emplace(next_id_++, Connection{fd, {}, {}, false});
  }
}

void ControlServer::Read(int conn_id, Connection& c) {
  char buf[64 * 1024];
  bool peer_gone = false;
  for (;;) {
    const ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
    if (n == 0) {
      peer_gone = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) peer_gone = true;
      break;
    }
    c.decoder.Feed(absl::string_view(buf, static_cast<size_t>(n)));
  }
  // Requests that arrived before a hang-up still take effect.
  DispatchFrames(conn_id, c);
  if (peer_gone) Close(conn_id);
}

void ControlServer::DispatchFrames(int conn_id, Connection& c) {
  while (!c.closing) {
    auto frame = c.decoder.Next();
    if (!frame.ok()) {
      // The stream cannot be resynchronised: answer once, then hang up.
      c.out += EncodeFrame(ErrorResponse(0, absl::StatusCode::kInvalidArgument,
                                         std::string(frame.status().message())));
      c.closing = true;
      return;
    }
    if (!frame->has_value()) return;
    onvm::engine::v1::Request request;
    if (!request.ParseFromString(**frame)) {
      c.out += EncodeFrame(ErrorResponse(0, absl::StatusCode::kInvalidArgument,
                                         "malformed request: not an onvm.engine.v1.Request"));
      c.closing = true;
      return;
    }
    onvm::engine::v1::Response response = on_request_(conn_id, request);
    response.set_seq(request.seq());
    c.out += EncodeFrame(response);
    if (c.out.size() > kMaxPendingOutput) {
      // The peer stopped reading its replies.
      c.out.clear();
      c.closing = true;
    }
  }
}

void ControlServer::Write(Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: wait for POLLOUT; errors surface as POLLERR/HUP on read
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
}

void ControlServer::Close(int conn_id) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  close(it->second.fd);
  conns_.erase(it);
  on_close_(conn_id);
}

}  // namespace onvm::engine
