#include "agent/runtime_api.h"

#include <utility>

#include "agent/grpc_status.h"
#include "agent/pagination.h"

#include "absl/strings/str_cat.h"

namespace onvm::agent {

grpc::Status PortsApi::GetPort(grpc::ServerContext*, const onvm::v1::GetPortRequest* request,
                               onvm::v1::Port* response) {
  absl::StatusOr<onvm::v1::Port> port = runtime_->GetPort(request->name());
  if (!port.ok()) return ToGrpc(port.status());
  *response = *std::move(port);
  return grpc::Status::OK;
}

grpc::Status PortsApi::ListPorts(grpc::ServerContext*, const onvm::v1::ListPortsRequest* request,
                                 onvm::v1::ListPortsResponse* response) {
  // The request is checked before the engine is asked: a bad token is the
  // caller's mistake whether or not the engine is there.
  absl::StatusOr<PageQuery> page =
      ParsePageRequest("ListPorts", request->page_size(), request->page_token());
  if (!page.ok()) return ToGrpc(page.status());
  absl::StatusOr<std::vector<onvm::v1::Port>> ports = runtime_->ListPorts();
  if (!ports.ok()) return ToGrpc(ports.status());
  KeepPage("ListPorts", *page, &*ports, response->mutable_next_page_token());
  for (onvm::v1::Port& p : *ports) *response->add_items() = std::move(p);
  return grpc::Status::OK;
}

grpc::Status InstancesApi::GetInstance(grpc::ServerContext*,
                                       const onvm::v1::GetInstanceRequest* request,
                                       onvm::v1::Instance* response) {
  absl::StatusOr<onvm::v1::Instance> instance = runtime_->GetInstance(request->name());
  if (!instance.ok()) return ToGrpc(instance.status());
  *response = *std::move(instance);
  return grpc::Status::OK;
}

grpc::Status InstancesApi::DrainInstance(grpc::ServerContext*,
                                         const onvm::v1::DrainInstanceRequest* request,
                                         onvm::v1::Instance* response) {
  return RunOnce(*requests_, *request, response, [&] {
    absl::StatusOr<onvm::v1::Instance> instance = runtime_->GetInstance(request->name());
    if (!instance.ok()) return ToGrpc(instance.status());
    if (instance->status().state() == onvm::v1::InstanceStatus::STARTING) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("name: instance \"", request->name(),
                                       "\" is still starting (it gets no traffic yet)"));
    }
    if (request->validate_only() ||
        instance->status().state() == onvm::v1::InstanceStatus::DRAINING) {
      *response = *std::move(instance);
      return grpc::Status::OK;
    }
    if (absl::Status s = link_->DrainInstance(instance->status().instance_id()); !s.ok()) {
      return ToGrpc(s);
    }
    // The reply comes once no lcore can enqueue on its ring: show that.
    (void)link_->Refresh();
    absl::StatusOr<onvm::v1::Instance> drained = runtime_->GetInstance(request->name());
    if (!drained.ok()) return ToGrpc(drained.status());  // it ended meanwhile
    *response = *std::move(drained);
    return grpc::Status::OK;
  });
}

grpc::Status InstancesApi::ListInstances(grpc::ServerContext*,
                                         const onvm::v1::ListInstancesRequest* request,
                                         onvm::v1::ListInstancesResponse* response) {
  absl::StatusOr<PageQuery> page =
      ParsePageRequest("ListInstances", request->page_size(), request->page_token());
  if (!page.ok()) return ToGrpc(page.status());
  absl::StatusOr<std::vector<onvm::v1::Instance>> instances = runtime_->ListInstances();
  if (!instances.ok()) return ToGrpc(instances.status());
  KeepPage("ListInstances", *page, &*instances, response->mutable_next_page_token());
  for (onvm::v1::Instance& i : *instances) *response->add_items() = std::move(i);
  return grpc::Status::OK;
}

}  // namespace onvm::agent
