// The agent's OpenFlow endpoints: passive (a listening socket that
// controllers and ovs-ofctl connect to) and active (the agent connects to a
// controller, reconnecting with backoff), every connection a Session on its
// own thread over one shared OpenFlowSwitch; and PORT_STATUS to every
// connection when a port's link, or the set of ports and chains, changes.
#ifndef ONVM_AGENT_OPENFLOW_SERVER_H_
#define ONVM_AGENT_OPENFLOW_SERVER_H_

#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/openflow/session.h"
#include "agent/openflow/switch.h"

namespace onvm::agent::openflow {

struct ServerOptions {
  // host:port to listen on ("127.0.0.1:6653"); empty: no passive mode.
  std::string listen;
  // tcp:host:port (or host:port) of a controller; empty: no active mode.
  std::string controller;
  SessionOptions session;
  // Active mode: waits between connection attempts, doubling from the
  // first to the last.
  absl::Duration min_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  // How often ports and chains are compared for PORT_STATUS.
  absl::Duration port_poll = absl::Milliseconds(500);
  // Connections served at once in passive mode; more are closed.
  size_t max_sessions = 16;
};

class OpenFlowServer {
 public:
  // Listens (if asked) before it returns, so a bad address fails here.
  static absl::StatusOr<std::unique_ptr<OpenFlowServer>> Start(const ServerOptions& options,
                                                               OpenFlowSwitch* sw);
  ~OpenFlowServer();

  OpenFlowServer(const OpenFlowServer&) = delete;
  OpenFlowServer& operator=(const OpenFlowServer&) = delete;

  // Closes every connection and joins every thread. Idempotent.
  void Stop();
  // The port listened on (the kernel's choice for port 0); 0 if none.
  int listen_port() const { return listen_port_; }
  // Connections now open (both modes) that have negotiated.
  size_t session_count() const;

 private:
  struct Running {
    std::shared_ptr<Session> session;
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  OpenFlowServer(const ServerOptions& options, OpenFlowSwitch* sw) : options_(options), sw_(sw) {}
  void AcceptLoop();
  void ActiveLoop(std::string host, std::string port);
  void PortLoop();
  // Runs a session on a new thread (passive) and records it.
  void Spawn(int fd, std::string peer);
  void Reap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Broadcast(const Message& m);

  const ServerOptions options_;
  OpenFlowSwitch* const sw_;
  int listen_fd_ = -1;
  int listen_port_ = 0;
  absl::Notification stop_;
  std::thread accept_thread_;
  std::thread active_thread_;
  std::thread port_thread_;
  mutable absl::Mutex mu_;
  std::list<Running> sessions_ ABSL_GUARDED_BY(mu_);
  // The active-mode session while connected.
  std::shared_ptr<Session> active_ ABSL_GUARDED_BY(mu_);
  bool stopped_ = false;
};

// Splits "tcp:host:port", "host:port" or "[v6]:port"; INVALID_ARGUMENT
// naming `flag` otherwise.
absl::Status SplitHostPort(absl::string_view flag, absl::string_view text, std::string* host,
                           std::string* port);

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_SERVER_H_
