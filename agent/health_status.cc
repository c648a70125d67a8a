#include "agent/health_status.h"

#include <string>

#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/engine.grpc.pb.h"
#include "onvm/v1/event.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/port.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"

namespace onvm::agent {
namespace {

constexpr const char* kEngineBound[] = {
    onvm::v1::Ports::service_full_name(),
    onvm::v1::Instances::service_full_name(),
    onvm::v1::Engine::service_full_name(),
};
constexpr const char* kDesiredState[] = {
    onvm::v1::Services::service_full_name(), onvm::v1::Chains::service_full_name(),
    onvm::v1::Rules::service_full_name(),    onvm::v1::Manifests::service_full_name(),
    onvm::v1::Events::service_full_name(),
};

}  // namespace

void HealthStatus::Attach(grpc::HealthCheckServiceInterface* health) {
  absl::MutexLock lock(&mu_);
  health_ = health;
  published_.reset();
  if (health_ == nullptr) return;
  for (const char* service : kDesiredState) health_->SetServingStatus(service, true);
  PublishLocked();
}

void HealthStatus::Update(bool engine_connected, bool reconciled) {
  absl::MutexLock lock(&mu_);
  connected_ = engine_connected;
  reconciled_ = engine_connected && reconciled;
  PublishLocked();
}

void HealthStatus::PublishLocked() {
  if (health_ == nullptr) return;
  const std::pair<bool, bool> now{connected_, reconciled_};
  if (published_ == now) return;
  published_ = now;
  health_->SetServingStatus("", reconciled_);
  for (const char* service : kEngineBound) health_->SetServingStatus(service, connected_);
}

}  // namespace onvm::agent
