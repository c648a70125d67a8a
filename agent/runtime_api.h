// gRPC services over what the engine runs: Ports, Instances (read-only).
#ifndef ONVM_AGENT_RUNTIME_API_H_
#define ONVM_AGENT_RUNTIME_API_H_

#include "agent/engine_link.h"
#include "agent/request_cache.h"
#include "agent/runtime_view.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/port.grpc.pb.h"

namespace onvm::agent {

class PortsApi final : public onvm::v1::Ports::Service {
 public:
  // `runtime` must outlive the service.
  explicit PortsApi(const RuntimeView* runtime) : runtime_(runtime) {}

  grpc::Status GetPort(grpc::ServerContext* context, const onvm::v1::GetPortRequest* request,
                       onvm::v1::Port* response) override;
  grpc::Status ListPorts(grpc::ServerContext* context, const onvm::v1::ListPortsRequest* request,
                         onvm::v1::ListPortsResponse* response) override;

 private:
  const RuntimeView* const runtime_;
};

class InstancesApi final : public onvm::v1::Instances::Service {
 public:
  // All must outlive the service.
  InstancesApi(const RuntimeView* runtime, EngineLink* link, RequestCache* requests)
      : runtime_(runtime), link_(link), requests_(requests) {}

  grpc::Status GetInstance(grpc::ServerContext* context,
                           const onvm::v1::GetInstanceRequest* request,
                           onvm::v1::Instance* response) override;
  grpc::Status ListInstances(grpc::ServerContext* context,
                             const onvm::v1::ListInstancesRequest* request,
                             onvm::v1::ListInstancesResponse* response) override;
  grpc::Status DrainInstance(grpc::ServerContext* context,
                             const onvm::v1::DrainInstanceRequest* request,
                             onvm::v1::Instance* response) override;

 private:
  const RuntimeView* const runtime_;
  EngineLink* const link_;
  RequestCache* const requests_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_RUNTIME_API_H_
