#include "agent/openflow/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/log.h"

namespace onvm::agent::openflow {
namespace {

constexpr int kAcceptPollMs = 100;
constexpr int kConnectTimeoutMs = 2000;

std::string PeerName(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
  }
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<addrinfo*> Resolve(const std::string& host, const std::string& port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve ", host, ":", port, ": ", gai_strerror(rc)));
  }
  return res;
}

// A connected socket, or -1; gives up after kConnectTimeoutMs or on stop.
int ConnectTo(const std::string& host, const std::string& port, std::string* error) {
  absl::StatusOr<addrinfo*> res = Resolve(host, port, false);
  if (!res.ok()) {
    *error = std::string(res.status().message());
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = *res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      *error = std::strerror(errno);
      close(fd);
      fd = -1;
      continue;
    }
    pollfd pfd{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);
    if (poll(&pfd, 1, kConnectTimeoutMs) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      *error = err != 0 ? std::strerror(err) : "timed out";
      close(fd);
      fd = -1;
      continue;
    }
    // Back to blocking: the session polls before it reads.
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  }
  freeaddrinfo(*res);
  if (fd >= 0) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

}  // namespace

absl::Status SplitHostPort(absl::string_view flag, absl::string_view text, std::string* host,
                           std::string* port) {
  absl::string_view t = text;
  if (absl::StartsWith(t, "tcp:")) t.remove_prefix(4);
  const size_t colon = t.rfind(':');
  int number = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(t.substr(colon + 1), &number) || number < 0 || number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", text, "\" is not [tcp:]HOST:PORT"));
  }
  absl::string_view h = t.substr(0, colon);
  if (absl::StartsWith(h, "[") && absl::EndsWith(h, "]")) h = h.substr(1, h.size() - 2);
  *host = std::string(h);
  *port = absl::StrCat(number);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OpenFlowServer>> OpenFlowServer::Start(const ServerOptions& options,
                                                                      OpenFlowSwitch* sw) {
  std::unique_ptr<OpenFlowServer> s(new OpenFlowServer(options, sw));
  std::string ctl_host, ctl_port;
  if (!options.controller.empty()) {
    if (absl::Status st =
            SplitHostPort("--openflow-controller", options.controller, &ctl_host, &ctl_port);
        !st.ok()) {
      return st;
    }
  }
  if (!options.listen.empty()) {
    std::string host, port;
    if (absl::Status st = SplitHostPort("--openflow-listen", options.listen, &host, &port);
        !st.ok()) {
      return st;
    }
    absl::StatusOr<addrinfo*> res = Resolve(host, port, true);
    if (!res.ok()) return res.status();
    std::string error = "no address";
    for (addrinfo* ai = *res; ai != nullptr && s->listen_fd_ < 0; ai = ai->ai_next) {
      const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      const int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
        error = std::strerror(errno);
        close(fd);
        continue;
      }
      s->listen_fd_ = fd;
    }
    freeaddrinfo(*res);
    if (s->listen_fd_ < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve OpenFlow on ", options.listen, ": ", error));
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
    s->listen_port_ = bound.ss_family == AF_INET6
                          ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                          : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    LogInfo(absl::StrCat("serving OpenFlow 1.3 on ", host, ":", s->listen_port_));
    s->accept_thread_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  }
  if (!options.controller.empty()) {
    s->active_thread_ =
        std::thread([p = s.get(), ctl_host, ctl_port] { p->ActiveLoop(ctl_host, ctl_port); });
  }
  s->port_thread_ = std::thread([p = s.get()] { p->PortLoop(); });
  return s;
}

OpenFlowServer::~OpenFlowServer() { Stop(); }

size_t OpenFlowServer::session_count() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const Running& r : sessions_) n += r.done->load() ? 0 : 1;
  return n + (active_ != nullptr ? 1 : 0);
}

void OpenFlowServer::Reap() {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (!it->done->load()) {
      ++it;
      continue;
    }
    it->thread.join();
    it = sessions_.erase(it);
  }
}

void OpenFlowServer::Spawn(int fd, std::string peer) {
  absl::MutexLock lock(&mu_);
  Reap();
  if (sessions_.size() >= options_.max_sessions) {
    LogWarning(absl::StrCat("openflow: refusing ", peer, ": ", options_.max_sessions,
                            " connections already open"));
    close(fd);
    return;
  }
  Running r;
  r.session = std::make_shared<Session>(fd, peer, sw_, options_.session);
  r.done = std::make_shared<std::atomic<bool>>(false);
  r.thread = std::thread([session = r.session, done = r.done] {
    session->Run();
    LogInfo(absl::StrCat("openflow: ", session->peer(), " disconnected"));
    *done = true;
  });
  sessions_.push_back(std::move(r));
}

void OpenFlowServer::AcceptLoop() {
  while (!stop_.HasBeenNotified()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, kAcceptPollMs) <= 0) {
      absl::MutexLock lock(&mu_);
      Reap();
      continue;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Spawn(fd, PeerName(addr));
  }
}

void OpenFlowServer::ActiveLoop(std::string host, std::string port) {
  absl::Duration backoff = options_.min_backoff;
  std::string last_error;
  while (!stop_.HasBeenNotified()) {
    std::string error;
    const int fd = ConnectTo(host, port, &error);
    if (fd < 0) {
      if (error != last_error) {
        LogWarning(absl::StrCat("openflow: cannot reach controller ", host, ":", port, ": ", error,
                                "; retrying with backoff up to ",
                                absl::FormatDuration(options_.max_backoff)));
        last_error = error;
      }
      stop_.WaitForNotificationWithTimeout(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    last_error.clear();
    auto session = std::make_shared<Session>(fd, absl::StrCat("controller ", host, ":", port), sw_,
                                             options_.session);
    {
      absl::MutexLock lock(&mu_);
      if (stop_.HasBeenNotified()) break;
      active_ = session;
    }
    const absl::Time started = absl::Now();
    session->Run();
    {
      absl::MutexLock lock(&mu_);
      active_.reset();
    }
    LogInfo(absl::StrCat("openflow: ", session->peer(), " disconnected"));
    // A connection that lasted resets the backoff; one that broke at once
    // (controller refusing us) keeps growing it.
    if (absl::Now() - started > options_.max_backoff) backoff = options_.min_backoff;
    stop_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void OpenFlowServer::Broadcast(const Message& m) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    absl::MutexLock lock(&mu_);
    for (const Running& r : sessions_) {
      if (!r.done->load()) targets.push_back(r.session);
    }
    if (active_ != nullptr) targets.push_back(active_);
  }
  for (const auto& s : targets) s->SendAsync(m);
}

void OpenFlowServer::PortLoop() {
  std::map<uint32_t, Port> known;
  for (const Port& p : sw_->PortDescs()) known[p.port_no] = p;
  while (!stop_.WaitForNotificationWithTimeout(options_.port_poll)) {
    std::map<uint32_t, Port> now;
    for (const Port& p : sw_->PortDescs()) now[p.port_no] = p;
    const auto send = [&](uint8_t reason, const Port& p) {
      Message m;
      m.type = OFPT_PORT_STATUS;
      m.body = PortStatus{reason, p};
      Broadcast(m);
    };
    for (const auto& [no, p] : known) {
      if (!now.contains(no)) send(OFPPR_DELETE, p);
    }
    for (const auto& [no, p] : now) {
      auto it = known.find(no);
      if (it == known.end()) {
        send(OFPPR_ADD, p);
      } else if (!(it->second == p)) {
        send(OFPPR_MODIFY, p);
      }
    }
    known = std::move(now);
  }
}

void OpenFlowServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stop_.Notify();
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    for (Running& r : sessions_) r.session->Stop();
    if (active_ != nullptr) active_->Stop();
  }
  if (active_thread_.joinable()) active_thread_.join();
  if (port_thread_.joinable()) port_thread_.join();
  std::list<Running> sessions;
  {
    absl::MutexLock lock(&mu_);
    sessions.swap(sessions_);
  }
  for (Running& r : sessions) r.thread.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

}  // namespace onvm::agent::openflow
