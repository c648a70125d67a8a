#include "agent/config_api.h"

#include <utility>

#include "agent/grpc_status.h"

namespace onvm::agent {
namespace {

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpc(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status Missing(const char* field) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(field) + ": must be set");
}

// ready_replicas is observed, not desired: filled in on the way out.
void SetReady(const absl::flat_hash_map<std::string, uint32_t>& ready, onvm::v1::Service* s) {
  auto it = ready.find(s->metadata().name());
  s->mutable_status()->set_ready_replicas(it == ready.end() ? 0 : it->second);
}

}  // namespace

grpc::Status ServicesApi::CreateService(grpc::ServerContext*,
                                        const onvm::v1::CreateServiceRequest* request,
                                        onvm::v1::Service* response) {
  if (!request->has_service()) return Missing("service");
  grpc::Status status = Reply(store_->CreateService(request->service()), response);
  if (status.ok()) SetReady(runtime_->ReadyReplicas(), response);
  return status;
}

grpc::Status ServicesApi::GetService(grpc::ServerContext*,
                                     const onvm::v1::GetServiceRequest* request,
                                     onvm::v1::Service* response) {
  grpc::Status status = Reply(store_->GetService(request->name()), response);
  if (status.ok()) SetReady(runtime_->ReadyReplicas(), response);
  return status;
}

grpc::Status ServicesApi::ListServices(grpc::ServerContext*, const onvm::v1::ListServicesRequest*,
                                       onvm::v1::ListServicesResponse* response) {
  const auto ready = runtime_->ReadyReplicas();
  for (onvm::v1::Service& s : store_->ListServices()) {
    SetReady(ready, &s);
    *response->add_items() = std::move(s);
  }
  return grpc::Status::OK;
}

grpc::Status ServicesApi::UpdateService(grpc::ServerContext*,
                                        const onvm::v1::UpdateServiceRequest* request,
                                        onvm::v1::Service* response) {
  if (!request->has_service()) return Missing("service");
  grpc::Status status =
      Reply(store_->UpdateService(request->service(), request->update_mask()), response);
  if (status.ok()) SetReady(runtime_->ReadyReplicas(), response);
  return status;
}

grpc::Status ServicesApi::DeleteService(grpc::ServerContext*,
                                        const onvm::v1::DeleteServiceRequest* request,
                                        onvm::v1::DeleteServiceResponse*) {
  return ToGrpc(store_->DeleteService(request->name()));
}

grpc::Status ChainsApi::CreateChain(grpc::ServerContext*,
                                    const onvm::v1::CreateChainRequest* request,
                                    onvm::v1::Chain* response) {
  if (!request->has_chain()) return Missing("chain");
  grpc::Status status = Reply(store_->CreateChain(request->chain()), response);
  if (status.ok()) traffic_->Fill(response);
  return status;
}

grpc::Status ChainsApi::GetChain(grpc::ServerContext*, const onvm::v1::GetChainRequest* request,
                                 onvm::v1::Chain* response) {
  grpc::Status status = Reply(store_->GetChain(request->name()), response);
  if (status.ok()) traffic_->Fill(response);
  return status;
}

grpc::Status ChainsApi::ListChains(grpc::ServerContext*, const onvm::v1::ListChainsRequest*,
                                   onvm::v1::ListChainsResponse* response) {
  for (onvm::v1::Chain& c : store_->ListChains()) *response->add_items() = std::move(c);
  traffic_->Fill(response->mutable_items());
  return grpc::Status::OK;
}

grpc::Status ChainsApi::DeleteChain(grpc::ServerContext*,
                                    const onvm::v1::DeleteChainRequest* request,
                                    onvm::v1::DeleteChainResponse*) {
  return ToGrpc(store_->DeleteChain(request->name()));
}

grpc::Status RulesApi::CreateRule(grpc::ServerContext*, const onvm::v1::CreateRuleRequest* request,
                                  onvm::v1::Rule* response) {
  if (!request->has_rule()) return Missing("rule");
  grpc::Status status = Reply(store_->CreateRule(request->rule()), response);
  if (status.ok()) traffic_->Fill(response);
  return status;
}

grpc::Status RulesApi::GetRule(grpc::ServerContext*, const onvm::v1::GetRuleRequest* request,
                               onvm::v1::Rule* response) {
  grpc::Status status = Reply(store_->GetRule(request->name()), response);
  if (status.ok()) traffic_->Fill(response);
  return status;
}

grpc::Status RulesApi::ListRules(grpc::ServerContext*, const onvm::v1::ListRulesRequest*,
                                 onvm::v1::ListRulesResponse* response) {
  for (onvm::v1::Rule& r : store_->ListRules()) *response->add_items() = std::move(r);
  traffic_->Fill(response->mutable_items());
  return grpc::Status::OK;
}

grpc::Status RulesApi::DeleteRule(grpc::ServerContext*, const onvm::v1::DeleteRuleRequest* request,
                                  onvm::v1::DeleteRuleResponse*) {
  return ToGrpc(store_->DeleteRule(request->name()));
}

grpc::Status ManifestsApi::Apply(grpc::ServerContext*, const onvm::v1::ApplyRequest* request,
                                 onvm::v1::ApplyResponse* response) {
  return Reply(store_->Apply(*request), response);
}

}  // namespace onvm::agent
