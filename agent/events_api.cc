#include "agent/events_api.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/grpc_status.h"
#include "agent/log.h"

namespace onvm::agent {
namespace {

constexpr const char* kKinds[] = {"service", "chain", "rule", "instance", "engine"};
// Longest name any event carries: a DNS label, "<service>-<id>" for an
// instance, the engine's name.
constexpr size_t kMaxNameBytes = 253;

absl::Status CheckFilter(const onvm::v1::EventFilter& filter) {
  if (filter.kinds_size() > EventsApi::kMaxFilterEntries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter.kinds: ", filter.kinds_size(), " entries, at most ", EventsApi::kMaxFilterEntries));
  }
  if (filter.names_size() > EventsApi::kMaxFilterEntries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter.names: ", filter.names_size(), " entries, at most ", EventsApi::kMaxFilterEntries));
  }
  for (int i = 0; i < filter.kinds_size(); ++i) {
    const std::string kind = absl::AsciiStrToLower(filter.kinds(i));
    bool known = false;
    for (const char* k : kKinds) known = known || kind == k;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.kinds[", i, "]: unknown kind \"", filter.kinds(i).substr(0, 64),
                       "\" (want Service, Chain, Rule, Instance or Engine)"));
    }
  }
  for (int i = 0; i < filter.names_size(); ++i) {
    if (filter.names(i).empty() || filter.names(i).size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.names[", i, "]: must be 1 to ", kMaxNameBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status EventsApi::WatchEvents(grpc::ServerContext* context,
                                    const onvm::v1::WatchEventsRequest* request,
                                    grpc::ServerWriter<onvm::v1::Event>* writer) {
  if (absl::Status s = CheckFilter(request->filter()); !s.ok()) return ToGrpc(s);
  std::optional<uint64_t> since;
  if (request->has_since_sequence()) since = request->since_sequence();
  absl::StatusOr<std::unique_ptr<EventHub::Subscription>> subscription =
      hub_->Subscribe(EventMatcher(request->filter()), since);
  if (!subscription.ok()) return ToGrpc(subscription.status());
  writer->SendInitialMetadata();
  for (;;) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    absl::StatusOr<std::optional<onvm::v1::Event>> next = (*subscription)->Next(kCancelPoll);
    if (!next.ok()) {
      if (absl::IsResourceExhausted(next.status())) {
        LogWarning(
            absl::StrCat("ended an event stream to ", context->peer(), ": the client fell behind"));
      }
      return ToGrpc(next.status());
    }
    if (!next->has_value()) continue;
    // False once the client is gone or the call was cancelled.
    if (!writer->Write(**next)) return grpc::Status::CANCELLED;
  }
}

grpc::Status EventsApi::ListEvents(grpc::ServerContext*, const onvm::v1::ListEventsRequest* request,
                                   onvm::v1::ListEventsResponse* response) {
  if (absl::Status s = CheckFilter(request->filter()); !s.ok()) return ToGrpc(s);
  EventHub::Listing listing = hub_->List(EventMatcher(request->filter()), request->limit());
  response->set_first_sequence(listing.first_sequence);
  response->set_last_sequence(listing.last_sequence);
  for (onvm::v1::Event& event : listing.events) *response->add_events() = std::move(event);
  return grpc::Status::OK;
}

}  // namespace onvm::agent
