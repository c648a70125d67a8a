// What the standard gRPC health service (grpc.health.v1.Health) reports.
//
//   ""                  SERVING while the engine is connected and runs the
//                       agent's desired state (reconciled);
//   onvm.v1.Ports, onvm.v1.Instances, onvm.v1.Engine
//                       SERVING while the engine is connected (they read
//                       its state);
//   every other onvm.v1 service
//                       SERVING while the agent runs (they work on the
//                       desired state, which the agent keeps while the
//                       engine is away).
//
// So a load balancer or Kubernetes probe on "" sends traffic only to a node
// whose data path is configured, while operators can still change the
// desired state of a node whose engine is restarting.
#ifndef ONVM_AGENT_HEALTH_STATUS_H_
#define ONVM_AGENT_HEALTH_STATUS_H_

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/health_check_service_interface.h"

namespace onvm::agent {

class HealthStatus {
 public:
  // `health` (the server's default health service) must outlive this object
  // or be detached with Attach(nullptr) first.
  void Attach(grpc::HealthCheckServiceInterface* health);
  // After each reconciler pass: what it found.
  void Update(bool engine_connected, bool reconciled);

 private:
  void PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool reconciled_ ABSL_GUARDED_BY(mu_) = false;
  // What was last published, to publish changes only.
  std::optional<std::pair<bool, bool>> published_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_HEALTH_STATUS_H_
