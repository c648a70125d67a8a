// An in-process stand-in for onvm-agent's public gRPC API, holding its
// resources in memory, so the verbs can be tested end to end without the
// engine.
#ifndef ONVM_TEST_CLI_FAKE_AGENT_H_
#define ONVM_TEST_CLI_FAKE_AGENT_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grpcpp/server.h"
#include "onvm/v1/apply.pb.h"
#include "onvm/v1/chain.pb.h"
#include "onvm/v1/engine.pb.h"
#include "onvm/v1/instance.pb.h"
#include "onvm/v1/port.pb.h"
#include "onvm/v1/rule.pb.h"
#include "onvm/v1/service.pb.h"

namespace onvm::cli::testing {

struct FakeState {
  std::mutex mu;
  std::map<std::string, v1::Service> services;
  std::map<std::string, v1::Chain> chains;
  std::map<std::string, v1::Rule> rules;
  std::map<std::string, v1::Port> ports;
  std::map<std::string, v1::Instance> instances;
  // "kind/name" of every successful delete, in order.
  std::vector<std::string> deleted;
  // Number of Apply calls, and the resources of the last one.
  int apply_calls = 0;
  v1::ApplyRequest last_apply;
  uint32_t next_id = 1;
  // What GetEngine answers.
  v1::EngineInfo engine;
  // Every ListPorts / ListInstances / ListChains / ListRules call first adds
  // this many packets (and 100 bytes per packet) to every port's, instance's,
  // chain's (entered and completed) and rule's counters, so that `top` sees
  // traffic. A chain with a latency histogram gets them in bucket 4 (10 to
  // 20 us with the engine's bounds).
  uint64_t counter_step = 0;
  // UpdateService calls, and the last request.
  int update_calls = 0;
  v1::UpdateServiceRequest last_update;
};

class FakeAgent {
 public:
  // Listens on 127.0.0.1 at a free port.
  FakeAgent();
  ~FakeAgent();

  std::string address() const { return address_; }
  FakeState& state() { return *state_; }

 private:
  std::unique_ptr<FakeState> state_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace onvm::cli::testing

#endif  // ONVM_TEST_CLI_FAKE_AGENT_H_
