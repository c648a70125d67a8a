// gRPC service describing the engine behind the agent: Engine (read-only).
#ifndef ONVM_AGENT_ENGINE_API_H_
#define ONVM_AGENT_ENGINE_API_H_

#include "agent/engine_link.h"
#include "agent/state_store.h"
#include "agent/stats_source.h"
#include "onvm/v1/engine.grpc.pb.h"

namespace onvm::agent {

// The agent's own version (the CMake project version).
const char* AgentVersion();

class EngineApi final : public onvm::v1::Engine::Service {
 public:
  // All three must outlive the service.
  EngineApi(const EngineLink* link, StatsSource* stats, const StateStore* store)
      : link_(link), stats_(stats), store_(store) {}

  grpc::Status GetEngine(grpc::ServerContext* context, const onvm::v1::GetEngineRequest* request,
                         onvm::v1::EngineInfo* response) override;

 private:
  const EngineLink* const link_;
  StatsSource* const stats_;
  const StateStore* const store_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_ENGINE_API_H_
