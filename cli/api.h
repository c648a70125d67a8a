// One interface over the per-kind gRPC services, so that `get` and
// `delete` are written once for every kind.
#ifndef ONVM_CLI_API_H_
#define ONVM_CLI_API_H_

#include <memory>
#include <string>
#include <vector>

#include "cli/kinds.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/port.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"

namespace onvm::cli {

// Api<T> has: kKind; NewStub(channel); List(stub, context, &items);
// Get(stub, context, name, &item); and, for mutable kinds,
// Delete(stub, context, name).
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
    v1::ListServicesResponse response;
    grpc::Status status = stub.ListServices(context, {}, &response);
    items->assign(response.items().begin(), response.items().end());
    return status;
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
  static grpc::Status Delete(Stub& stub, grpc::ClientContext* context, const std::string& name) {
    v1::DeleteServiceRequest request;
    request.set_name(name);
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
    v1::ListChainsResponse response;
    grpc::Status status = stub.ListChains(context, {}, &response);
    items->assign(response.items().begin(), response.items().end());
    return status;
  }
  static grpc::Status Get(Stub& stub, grpc::ClientContext* context, const std::string& name,
                          v1::Chain* item) {
    v1::GetChainRequest request;
    request.set_name(name);
    return stub.GetChain(context, request, item);
  }
  static grpc::Status Delete(Stub& stub, grpc::ClientContext* context, const std::string& name) {
    v1::DeleteChainRequest request;
    request.set_name(name);
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
    v1::ListRulesResponse response;
    grpc::Status status = stub.ListRules(context, {}, &response);
    items->assign(response.items().begin(), response.items().end());
    return status;
  }
  static grpc::Status Get(Stub& stub, grpc::ClientContext* context, const std::string& name,
                          v1::Rule* item) {
    v1::GetRuleRequest request;
    request.set_name(name);
    return stub.GetRule(context, request, item);
  }
  static grpc::Status Delete(Stub& stub, grpc::ClientContext* context, const std::string& name) {
    v1::DeleteRuleRequest request;
    request.set_name(name);
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
    v1::ListPortsResponse response;
    grpc::Status status = stub.ListPorts(context, {}, &response);
    items->assign(response.items().begin(), response.items().end());
    return status;
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
    v1::ListInstancesResponse response;
    grpc::Status status = stub.ListInstances(context, {}, &response);
    items->assign(response.items().begin(), response.items().end());
    return status;
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
