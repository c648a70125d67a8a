// One interface over the per-kind gRPC services, so that `get` and
// `delete` are written once for every kind.
#ifndef ONVM_CLI_API_H_
#define ONVM_CLI_API_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/kinds.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/port.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"

namespace onvm::cli {

// Items asked for per List page; the agent caps it (at 1000).
inline constexpr int32_t kListPageSize = 500;

// Every item of a paginated List call: follows next_page_token until it is
// empty. The first page is asked on `context`, the others each on a fresh
// NewCallContext(). `call(context, request, &response)` makes one call.
template <typename Request, typename Response, typename Item, typename Call>
grpc::Status ListAllPages(grpc::ClientContext* context, Call call, std::vector<Item>* items) {
  items->clear();
  Request request;
  request.set_page_size(kListPageSize);
  std::unique_ptr<grpc::ClientContext> next_context;
  while (true) {
    Response response;
    grpc::Status status = call(context, request, &response);
    if (!status.ok()) return status;
    items->insert(items->end(), response.items().begin(), response.items().end());
    if (response.next_page_token().empty()) return grpc::Status::OK;
    // A server that hands back the token it got would loop forever.
    if (response.next_page_token() == request.page_token()) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "the agent returned the same page token twice");
    }
    request.set_page_token(response.next_page_token());
    next_context = NewCallContext();
    context = next_context.get();
  }
}

// How a mutating call is made (see proto/onvm/v1/meta.proto, "Mutations").
struct WriteOptions {
  bool validate_only = false;
  std::string request_id;
};

// Api<T> has: kKind; NewStub(channel); List(stub, context, &items) (all
// pages); Get(stub, context, name, &item); and, for mutable kinds,
// Delete(stub, context, name, options).
template <typename T>
struct Api;

template <>
struct Api<v1::Service> {
  static constexpr Kind kKind = Kind::kService;
  using Stub = v1::Services::Stub;
  static std::unique_ptr<Stub> NewStub(const std::shared_ptr<grpc::Channel>& channel) {
    return v1::Services::NewStub(channel);
  }
  static grpc::Status List(Stub& stub, grpc::ClientContext* context,
                           std::vector<v1::Service>* items) {
    return ListAllPages<v1::ListServicesRequest, v1::ListServicesResponse>(
        context,
        [&](grpc::ClientContext* c, const v1::ListServicesRequest& request,
            v1::ListServicesResponse* response) { return stub.ListServices(c, request, response); },
        items);
  }
  static grpc::Status Get(Stub& stub, grpc::ClientContext* context, const std::string& name,
                          v1::Service* item) {
    v1::GetServiceRequest request;
    request.set_name(name);
    return stub.GetService(context, request, item);
  }
  // Replaces the fields of the named service that `paths` list.
  static grpc::Status Update(Stub& stub, grpc::ClientContext* context, const v1::Service& service,
                             const std::vector<std::string>& paths, v1::Service* updated) {
    v1::UpdateServiceRequest request;
    *request.mutable_service() = service;
    for (const std::string& path : paths) request.mutable_update_mask()->add_paths(path);
    return stub.UpdateService(context, request, updated);
  }
  static grpc::Status Delete(Stub& stub, grpc::ClientContext* context, const std::string& name,
                             const WriteOptions& options = {}) {
    v1::DeleteServiceRequest request;
    request.set_name(name);
    request.set_validate_only(options.validate_only);
    request.set_request_id(options.request_id);
    v1::DeleteServiceResponse response;
    return stub.DeleteService(context, request, &response);
  }
};

template <>
struct Api<v1::Chain> {
  static constexpr Kind kKind = Kind::kChain;
  using Stub = v1::Chains::Stub;
  static std::unique_ptr<Stub> NewStub(const std::shared_ptr<grpc::Channel>& channel) {
    return v1::Chains::NewStub(channel);
  }
  static grpc::Status List(Stub& stub, grpc::ClientContext* context,
                           std::vector<v1::Chain>* items) {
    return ListAllPages<v1::ListChainsRequest, v1::ListChainsResponse>(
        context,
        [&](grpc::ClientContext* c, const v1::ListChainsRequest& request,
            v1::ListChainsResponse* response) { return stub.ListChains(c, request, response); },
        items);
  }
  static grpc::Status Get(Stub& stub, grpc::ClientContext* context, const std::string& name,
                          v1::Chain* item) {
    v1::GetChainRequest request;
    request.set_name(name);
    return stub.GetChain(context, request, item);
  }
  static grpc::Status Delete(Stub& stub, grpc::ClientContext* context, const std::string& name,
                             const WriteOptions& options = {}) {
    v1::DeleteChainRequest request;
    request.set_name(name);
    request.set_validate_only(options.validate_only);
    request.set_request_id(options.request_id);
    v1::DeleteChainResponse response;
    return stub.DeleteChain(context, request, &response);
  }
};

template <>
struct Api<v1::Rule> {
  static constexpr Kind kKind = Kind::kRule;
  using Stub = v1::Rules::Stub;
  static std::unique_ptr<Stub> NewStub(const std::shared_ptr<grpc::Channel>& channel) {
    return v1::Rules::NewStub(channel);
  }
  static grpc::Status List(Stub& stub, grpc::ClientContext* context, std::vector<v1::Rule>* items) {
    return ListAllPages<v1::ListRulesRequest, v1::ListRulesResponse>(
        context,
        [&](grpc::ClientContext* c, const v1::ListRulesRequest& request,
            v1::ListRulesResponse* response) { return stub.ListRules(c, request, response); },
        items);
  }
  static grpc::Status Get(Stub& stub, grpc::ClientContext* context, const std::string& name,
                          v1::Rule* item) {
    v1::GetRuleRequest request;
    request.set_name(name);
    return stub.GetRule(context, request, item);
  }
  static grpc::Status Delete(Stub& stub, grpc::ClientContext* context, const std::string& name,
                             const WriteOptions& options = {}) {
    v1::DeleteRuleRequest request;
    request.set_name(name);
    request.set_validate_only(options.validate_only);
    request.set_request_id(options.request_id);
    v1::DeleteRuleResponse response;
    return stub.DeleteRule(context, request, &response);
  }
};

template <>
struct Api<v1::Port> {
  static constexpr Kind kKind = Kind::kPort;
  using Stub = v1::Ports::Stub;
  static std::unique_ptr<Stub> NewStub(const std::shared_ptr<grpc::Channel>& channel) {
    return v1::Ports::NewStub(channel);
  }
  static grpc::Status List(Stub& stub, grpc::ClientContext* context, std::vector<v1::Port>* items) {
    return ListAllPages<v1::ListPortsRequest, v1::ListPortsResponse>(
        context,
        [&](grpc::ClientContext* c, const v1::ListPortsRequest& request,
            v1::ListPortsResponse* response) { return stub.ListPorts(c, request, response); },
        items);
  }
  static grpc::Status Get(Stub& stub, grpc::ClientContext* context, const std::string& name,
                          v1::Port* item) {
    v1::GetPortRequest request;
    request.set_name(name);
    return stub.GetPort(context, request, item);
  }
};

template <>
struct Api<v1::Instance> {
  static constexpr Kind kKind = Kind::kInstance;
  using Stub = v1::Instances::Stub;
  static std::unique_ptr<Stub> NewStub(const std::shared_ptr<grpc::Channel>& channel) {
    return v1::Instances::NewStub(channel);
  }
  static grpc::Status List(Stub& stub, grpc::ClientContext* context,
                           std::vector<v1::Instance>* items) {
    return ListAllPages<v1::ListInstancesRequest, v1::ListInstancesResponse>(
        context,
        [&](grpc::ClientContext* c, const v1::ListInstancesRequest& request,
            v1::ListInstancesResponse* response) {
          return stub.ListInstances(c, request, response);
        },
        items);
  }
  static grpc::Status Get(Stub& stub, grpc::ClientContext* context, const std::string& name,
                          v1::Instance* item) {
    v1::GetInstanceRequest request;
    request.set_name(name);
    return stub.GetInstance(context, request, item);
  }
};

}  // namespace onvm::cli

#endif  // ONVM_CLI_API_H_
