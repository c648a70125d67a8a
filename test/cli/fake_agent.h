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
#include "grpcpp/support/status.h"
#include "onvm/v1/apply.pb.h"
#include "onvm/v1/chain.pb.h"
#include "onvm/v1/engine.pb.h"
#include "onvm/v1/event.pb.h"
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
  // Every List call answers at most this many items per page (and less
  // when the request's page_size is smaller), with next_page_token, so that
  // onvmctl's paging is exercised; 0: everything in one page. List calls
  // of any kind are counted.
  int max_page_size = 0;
  int list_calls = 0;
  // request_id of every Apply and Delete call, in order ("" when none).
  std::vector<std::string> request_ids;
  // Deletes with validate_only (checked, not done), as "kind/name".
  std::vector<std::string> dry_deleted;
  // The next this-many Apply calls are carried out and then answered
  // UNAVAILABLE, as when the answer is lost on the way; a retry with the
  // same request_id gets the first result, as from the real agent.
  int apply_answers_lost = 0;
  // Events. ListEvents answers from `events` (last_sequence: the highest
  // sequence of `events` and `watch_events`). WatchEvents replays `events`
  // after since_sequence, then sends `watch_events` (the first call only),
  // then ends with the next of `watch_ends` (OK once they are used up).
  // Before it sends a RESOURCE_CREATED event of a Service it
  // moves that service from `services_created_by_watch` into `services`
  // (deletions it leaves to the test: the client may fetch the object after
  // the fake has sent later events).
  std::vector<v1::Event> events;
  std::vector<v1::Event> watch_events;
  std::vector<grpc::Status> watch_ends;
  std::map<std::string, v1::Service> services_created_by_watch;
  std::vector<v1::WatchEventsRequest> watch_requests;
  std::vector<v1::ListEventsRequest> list_events_requests;
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
