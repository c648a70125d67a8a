// gRPC services over the desired state: Services, Chains, Rules, Manifests.
#ifndef ONVM_AGENT_CONFIG_API_H_
#define ONVM_AGENT_CONFIG_API_H_

#include "agent/runtime_view.h"
#include "agent/state_store.h"
#include "agent/supervisor.h"
#include "agent/traffic_status.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"

namespace onvm::agent {

class ServicesApi final : public onvm::v1::Services::Service {
 public:
  // All must outlive the service; `supervisor` may be null.
  ServicesApi(StateStore* store, const RuntimeView* runtime, const Supervisor* supervisor)
      : store_(store), runtime_(runtime), supervisor_(supervisor) {}

  grpc::Status CreateService(grpc::ServerContext* context,
                             const onvm::v1::CreateServiceRequest* request,
                             onvm::v1::Service* response) override;
  grpc::Status GetService(grpc::ServerContext* context, const onvm::v1::GetServiceRequest* request,
                          onvm::v1::Service* response) override;
  grpc::Status ListServices(grpc::ServerContext* context,
                            const onvm::v1::ListServicesRequest* request,
                            onvm::v1::ListServicesResponse* response) override;
  grpc::Status UpdateService(grpc::ServerContext* context,
                             const onvm::v1::UpdateServiceRequest* request,
                             onvm::v1::Service* response) override;
  grpc::Status DeleteService(grpc::ServerContext* context,
                             const onvm::v1::DeleteServiceRequest* request,
                             onvm::v1::DeleteServiceResponse* response) override;

 private:
  StateStore* const store_;
  const RuntimeView* const runtime_;
  const Supervisor* const supervisor_;
};

class ChainsApi final : public onvm::v1::Chains::Service {
 public:
  // Both must outlive the service. Chains are returned with their traffic
  // counters from `traffic`.
  ChainsApi(StateStore* store, const TrafficStatus* traffic) : store_(store), traffic_(traffic) {}

  grpc::Status CreateChain(grpc::ServerContext* context,
                           const onvm::v1::CreateChainRequest* request,
                           onvm::v1::Chain* response) override;
  grpc::Status GetChain(grpc::ServerContext* context, const onvm::v1::GetChainRequest* request,
                        onvm::v1::Chain* response) override;
  grpc::Status ListChains(grpc::ServerContext* context, const onvm::v1::ListChainsRequest* request,
                          onvm::v1::ListChainsResponse* response) override;
  grpc::Status DeleteChain(grpc::ServerContext* context,
                           const onvm::v1::DeleteChainRequest* request,
                           onvm::v1::DeleteChainResponse* response) override;

 private:
  StateStore* const store_;
  const TrafficStatus* const traffic_;
};

class RulesApi final : public onvm::v1::Rules::Service {
 public:
  // Both must outlive the service. Rules are returned with their hit
  // counters from `traffic`.
  RulesApi(StateStore* store, const TrafficStatus* traffic) : store_(store), traffic_(traffic) {}

  grpc::Status CreateRule(grpc::ServerContext* context, const onvm::v1::CreateRuleRequest* request,
                          onvm::v1::Rule* response) override;
  grpc::Status GetRule(grpc::ServerContext* context, const onvm::v1::GetRuleRequest* request,
                       onvm::v1::Rule* response) override;
  grpc::Status ListRules(grpc::ServerContext* context, const onvm::v1::ListRulesRequest* request,
                         onvm::v1::ListRulesResponse* response) override;
  grpc::Status DeleteRule(grpc::ServerContext* context, const onvm::v1::DeleteRuleRequest* request,
                          onvm::v1::DeleteRuleResponse* response) override;

 private:
  StateStore* const store_;
  const TrafficStatus* const traffic_;
};

class ManifestsApi final : public onvm::v1::Manifests::Service {
 public:
  explicit ManifestsApi(StateStore* store) : store_(store) {}

  grpc::Status Apply(grpc::ServerContext* context, const onvm::v1::ApplyRequest* request,
                     onvm::v1::ApplyResponse* response) override;

 private:
  StateStore* const store_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_CONFIG_API_H_
