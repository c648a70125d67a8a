// gRPC service over the event hub: Events (WatchEvents, ListEvents).
#ifndef ONVM_AGENT_EVENTS_API_H_
#define ONVM_AGENT_EVENTS_API_H_

#include "absl/time/time.h"
#include "agent/event_hub.h"
#include "onvm/v1/event.grpc.pb.h"

namespace onvm::agent {

class EventsApi final : public onvm::v1::Events::Service {
 public:
  // How often a waiting stream looks whether its client went away.
  static constexpr absl::Duration kCancelPoll = absl::Milliseconds(200);
  // Most entries of each EventFilter list.
  static constexpr int kMaxFilterEntries = 64;

  // `hub` must outlive the service.
  explicit EventsApi(EventHub* hub) : hub_(hub) {}

  // Sends the stream's initial metadata once the subscription is in place,
  // so a client that waits for it knows every later event will reach it.
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const onvm::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<onvm::v1::Event>* writer) override;
  grpc::Status ListEvents(grpc::ServerContext* context, const onvm::v1::ListEventsRequest* request,
                          onvm::v1::ListEventsResponse* response) override;

 private:
  EventHub* const hub_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_EVENTS_API_H_
