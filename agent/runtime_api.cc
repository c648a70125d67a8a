#include "agent/runtime_api.h"

#include <utility>

#include "agent/grpc_status.h"

namespace onvm::agent {

grpc::Status PortsApi::GetPort(grpc::ServerContext*, const onvm::v1::GetPortRequest* request,
                               onvm::v1::Port* response) {
  absl::StatusOr<onvm::v1::Port> port = runtime_->GetPort(request->name());
  if (!port.ok()) return ToGrpc(port.status());
  *response = *std::move(port);
  return grpc::Status::OK;
}

grpc::Status PortsApi::ListPorts(grpc::ServerContext*, const onvm::v1::ListPortsRequest*,
                                 onvm::v1::ListPortsResponse* response) {
  absl::StatusOr<std::vector<onvm::v1::Port>> ports = runtime_->ListPorts();
  if (!ports.ok()) return ToGrpc(ports.status());
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

grpc::Status InstancesApi::ListInstances(grpc::ServerContext*,
                                         const onvm::v1::ListInstancesRequest*,
                                         onvm::v1::ListInstancesResponse* response) {
  absl::StatusOr<std::vector<onvm::v1::Instance>> instances = runtime_->ListInstances();
  if (!instances.ok()) return ToGrpc(instances.status());
  for (onvm::v1::Instance& i : *instances) *response->add_items() = std::move(i);
  return grpc::Status::OK;
}

}  // namespace onvm::agent
