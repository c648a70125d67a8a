// The Prometheus endpoint: prometheus-cpp's Exposer (civetweb) with the
// agent's collector, and a stop that does not take two seconds.
#ifndef ONVM_AGENT_METRICS_SERVER_H_
#define ONVM_AGENT_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"

namespace onvm::agent {

class MetricsServer {
 public:
  // Serves `collector` on http://`listen`/metrics (HOST:PORT; port 0 lets
  // the kernel pick).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Collectable> collector);
  ~MetricsServer();

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port it listens on (the kernel's choice with port 0).
  int port() const { return port_; }

 private:
  MetricsServer(std::string host, std::unique_ptr<prometheus::Exposer> exposer);

  const std::string host_;  // where to connect to reach the listener
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_METRICS_SERVER_H_
