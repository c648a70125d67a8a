#include "agent/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace onvm::agent {
namespace {

// civetweb gives each connection a worker thread until its request is read:
// a few clients that connect and then stall (or send half a request) would
// otherwise hold the default 2 workers and every scrape would wait for them.
// More workers, and a stalled client is dropped after kRequestTimeoutMs.
constexpr int kThreads = 16;
constexpr int kRequestTimeoutMs = 5000;

// The address to connect to for reaching a listener bound to `listen`'s
// host: a wildcard address is reached through loopback.
std::string ConnectHost(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  absl::string_view host =
      colon == std::string::npos ? "" : absl::string_view(listen).substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return std::string(host);
}

// Opens and at once closes a TCP connection to host:port; failures do not
// matter (the listener may already be gone).
void Knock(const std::string& host, int port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return;  // a host name: no knocking, the stop just takes longer
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
  close(fd);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, std::shared_ptr<prometheus::Collectable> collector) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", listen, "num_threads", absl::StrCat(kThreads),
                                 "request_timeout_ms", absl::StrCat(kRequestTimeoutMs)});
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
  exposer->RegisterCollectable(collector, "/metrics");
  return absl::WrapUnique(new MetricsServer(ConnectHost(listen), std::move(exposer)));
}

MetricsServer::MetricsServer(std::string host, std::unique_ptr<prometheus::Exposer> exposer)
    : host_(std::move(host)), exposer_(std::move(exposer)) {
  const std::vector<int> ports = exposer_->GetListeningPorts();
  if (!ports.empty()) port_ = ports[0];
}

// civetweb's stop sets a flag that its accept thread reads only when its
// poll() returns, which without a connection is after a 2 s timeout
// (civetweb issue #1163): every agent stop, and so every test, would wait
// 2 s. A connection wakes the poll. Each knock closes at once, so one that
// civetweb accepts before it sees the flag ends at EOF instead of holding a
// worker until the request timeout.
MetricsServer::~MetricsServer() {
  std::atomic<bool> stopped{false};
  std::thread knocker;
  if (port_ != 0) {
    knocker = std::thread([this, &stopped] {
      while (!stopped.load(std::memory_order_acquire)) {
        Knock(host_, port_);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  exposer_.reset();
  stopped.store(true, std::memory_order_release);
  if (knocker.joinable()) knocker.join();
}

}  // namespace onvm::agent
