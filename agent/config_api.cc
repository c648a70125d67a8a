#include "agent/config_api.h"

#include <utility>

#include "agent/grpc_status.h"
#include "agent/pagination.h"
#include "agent/request_cache.h"

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

// ready_replicas and the supervised replicas are observed, not desired:
// filled in on the way out.
void SetObserved(const absl::flat_hash_map<std::string, uint32_t>& ready,
                 const Supervisor* supervisor, onvm::v1::Service* s) {
  auto it = ready.find(s->metadata().name());
  s->mutable_status()->set_ready_replicas(it == ready.end() ? 0 : it->second);
  s->mutable_status()->clear_replicas();
  if (supervisor == nullptr) return;
  for (onvm::v1::ReplicaStatus& r : supervisor->Replicas(s->metadata().name())) {
    *s->mutable_status()->add_replicas() = std::move(r);
  }
}

template <typename Request>
grpc::Status Once(StateStore* store, const Request& request, google::protobuf::Message* response,
                  absl::FunctionRef<grpc::Status()> run) {
  return RunOnce(store->request_cache(), request, response, run);
}

template <typename Request>
StateStore::WriteOptions Options(const Request& request) {
  return {.validate_only = request.validate_only()};
}

// One page of a desired-state kind, through `list(after, limit, &more)`.
template <typename Response, typename ListFn>
grpc::Status ListPage(absl::string_view method, int32_t page_size, const std::string& page_token,
                      ListFn list, Response* response) {
  absl::StatusOr<PageQuery> page = ParsePageRequest(method, page_size, page_token);
  if (!page.ok()) return ToGrpc(page.status());
  bool more = false;
  for (auto& item : list(page->after, page->size, &more)) *response->add_items() = std::move(item);
  if (more && response->items_size() > 0) {
    response->set_next_page_token(
        NextPageToken(method, response->items(response->items_size() - 1).metadata().name()));
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ServicesApi::CreateService(grpc::ServerContext*,
                                        const onvm::v1::CreateServiceRequest* request,
                                        onvm::v1::Service* response) {
  return Once(store_, *request, response, [&] {
    if (!request->has_service()) return Missing("service");
    grpc::Status status =
        Reply(store_->CreateService(request->service(), Options(*request)), response);
    if (status.ok()) SetObserved(runtime_->ReadyReplicas(), supervisor_, response);
    return status;
  });
}

grpc::Status ServicesApi::GetService(grpc::ServerContext*,
                                     const onvm::v1::GetServiceRequest* request,
                                     onvm::v1::Service* response) {
  grpc::Status status = Reply(store_->GetService(request->name()), response);
  if (status.ok()) SetObserved(runtime_->ReadyReplicas(), supervisor_, response);
  return status;
}

grpc::Status ServicesApi::ListServices(grpc::ServerContext*,
                                       const onvm::v1::ListServicesRequest* request,
                                       onvm::v1::ListServicesResponse* response) {
  grpc::Status status = ListPage(
      "ListServices", request->page_size(), request->page_token(),
      [&](absl::string_view after, size_t limit, bool* more) {
        return store_->ListServices(after, limit, more);
      },
      response);
  if (!status.ok()) return status;
  const auto ready = runtime_->ReadyReplicas();
  for (onvm::v1::Service& s : *response->mutable_items()) SetObserved(ready, supervisor_, &s);
  return grpc::Status::OK;
}

grpc::Status ServicesApi::UpdateService(grpc::ServerContext*,
                                        const onvm::v1::UpdateServiceRequest* request,
                                        onvm::v1::Service* response) {
  return Once(store_, *request, response, [&] {
    if (!request->has_service()) return Missing("service");
    grpc::Status status =
        Reply(store_->UpdateService(request->service(), request->update_mask(), Options(*request)),
              response);
    if (status.ok()) SetObserved(runtime_->ReadyReplicas(), supervisor_, response);
    return status;
  });
}

grpc::Status ServicesApi::DeleteService(grpc::ServerContext*,
                                        const onvm::v1::DeleteServiceRequest* request,
                                        onvm::v1::DeleteServiceResponse* response) {
  return Once(store_, *request, response,
              [&] { return ToGrpc(store_->DeleteService(request->name(), Options(*request))); });
}

grpc::Status ChainsApi::CreateChain(grpc::ServerContext*,
                                    const onvm::v1::CreateChainRequest* request,
                                    onvm::v1::Chain* response) {
  return Once(store_, *request, response, [&] {
    if (!request->has_chain()) return Missing("chain");
    grpc::Status status = Reply(store_->CreateChain(request->chain(), Options(*request)), response);
    if (status.ok()) traffic_->Fill(response);
    return status;
  });
}

grpc::Status ChainsApi::GetChain(grpc::ServerContext*, const onvm::v1::GetChainRequest* request,
                                 onvm::v1::Chain* response) {
  grpc::Status status = Reply(store_->GetChain(request->name()), response);
  if (status.ok()) traffic_->Fill(response);
  return status;
}

grpc::Status ChainsApi::ListChains(grpc::ServerContext*, const onvm::v1::ListChainsRequest* request,
                                   onvm::v1::ListChainsResponse* response) {
  grpc::Status status = ListPage(
      "ListChains", request->page_size(), request->page_token(),
      [&](absl::string_view after, size_t limit, bool* more) {
        return store_->ListChains(after, limit, more);
      },
      response);
  if (status.ok()) traffic_->Fill(response->mutable_items());
  return status;
}

grpc::Status ChainsApi::DeleteChain(grpc::ServerContext*,
                                    const onvm::v1::DeleteChainRequest* request,
                                    onvm::v1::DeleteChainResponse* response) {
  return Once(store_, *request, response,
              [&] { return ToGrpc(store_->DeleteChain(request->name(), Options(*request))); });
}

grpc::Status RulesApi::CreateRule(grpc::ServerContext*, const onvm::v1::CreateRuleRequest* request,
                                  onvm::v1::Rule* response) {
  return Once(store_, *request, response, [&] {
    if (!request->has_rule()) return Missing("rule");
    grpc::Status status = Reply(store_->CreateRule(request->rule(), Options(*request)), response);
    if (status.ok()) traffic_->Fill(response);
    return status;
  });
}

grpc::Status RulesApi::GetRule(grpc::ServerContext*, const onvm::v1::GetRuleRequest* request,
                               onvm::v1::Rule* response) {
  grpc::Status status = Reply(store_->GetRule(request->name()), response);
  if (status.ok()) traffic_->Fill(response);
  return status;
}

grpc::Status RulesApi::ListRules(grpc::ServerContext*, const onvm::v1::ListRulesRequest* request,
                                 onvm::v1::ListRulesResponse* response) {
  grpc::Status status = ListPage(
      "ListRules", request->page_size(), request->page_token(),
      [&](absl::string_view after, size_t limit, bool* more) {
        return store_->ListRules(after, limit, more);
      },
      response);
  if (status.ok()) traffic_->Fill(response->mutable_items());
  return status;
}

grpc::Status RulesApi::DeleteRule(grpc::ServerContext*, const onvm::v1::DeleteRuleRequest* request,
                                  onvm::v1::DeleteRuleResponse* response) {
  return Once(store_, *request, response,
              [&] { return ToGrpc(store_->DeleteRule(request->name(), Options(*request))); });
}

grpc::Status ManifestsApi::Apply(grpc::ServerContext*, const onvm::v1::ApplyRequest* request,
                                 onvm::v1::ApplyResponse* response) {
  return Once(store_, *request, response, [&] { return Reply(store_->Apply(*request), response); });
}

}  // namespace onvm::agent
