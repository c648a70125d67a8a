// The running agent: desired-state store, engine link and reconciler, gRPC
// API and /metrics, wired together and owned in one place.
#ifndef ONVM_AGENT_AGENT_SERVER_H_
#define ONVM_AGENT_AGENT_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/openflow/server.h"
#include "agent/server_credentials.h"

namespace onvm::agent {

struct AgentOptions {
  std::string engine = "default";
  // host:port, or unix:/path.
  std::string listen = "127.0.0.1:50051";
  // host:port of the Prometheus endpoint (/metrics).
  std::string metrics_listen = "127.0.0.1:9470";
  std::string state_dir = "/var/lib/onvm";
  // TLS, client certificates and the bearer token of the gRPC port.
  ServerSecurityOptions security;
  // OpenFlow 1.3 switch (agent/openflow/README.md): listen and/or
  // controller; off when both are empty.
  openflow::ServerOptions openflow;
};

class AgentServer {
 public:
  // Loads the desired state, starts the reconciler and both listeners.
  static absl::StatusOr<std::unique_ptr<AgentServer>> Start(const AgentOptions& options);
  ~AgentServer();

  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  // Stops accepting calls, finishes those in flight (bounded), then stops
  // the reconciler and the metrics listener. Idempotent.
  void Shutdown();

 private:
  struct Parts;
  explicit AgentServer(std::unique_ptr<Parts> parts);

  std::unique_ptr<Parts> parts_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_AGENT_SERVER_H_
