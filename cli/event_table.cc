#include "cli/event_table.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/client.h"
#include "cli/table.h"
#include "onvm/v1/event.grpc.pb.h"

namespace onvm::cli {

std::string EventReason(v1::Event::Type type) {
  switch (type) {
    case v1::Event::INSTANCE_STARTED:
      return "InstanceStarted";
    case v1::Event::INSTANCE_STOPPED:
      return "InstanceStopped";
    case v1::Event::INSTANCE_GONE:
      return "InstanceGone";
    case v1::Event::CONFIG_APPLIED:
      return "ConfigApplied";
    case v1::Event::ENGINE_UP:
      return "EngineUp";
    case v1::Event::ENGINE_DOWN:
      return "EngineDown";
    case v1::Event::RESOURCE_CREATED:
      return "Created";
    case v1::Event::RESOURCE_UPDATED:
      return "Updated";
    case v1::Event::RESOURCE_DELETED:
      return "Deleted";
    case v1::Event::REPLICA_STARTED:
      return "ReplicaStarted";
    case v1::Event::REPLICA_CRASHED:
      return "ReplicaCrashed";
    case v1::Event::REPLICA_STOPPED:
      return "ReplicaStopped";
    default:
      return "Unknown";
  }
}

std::string EventSeverity(v1::Event::Type type) {
  return type == v1::Event::INSTANCE_GONE || type == v1::Event::ENGINE_DOWN ||
                 type == v1::Event::REPLICA_CRASHED
             ? "Warning"
             : "Normal";
}

std::string EventAge(const v1::Event& event, absl::Time now) {
  const absl::Time at =
      absl::FromUnixSeconds(event.time().seconds()) + absl::Nanoseconds(event.time().nanos());
  const int64_t seconds = std::max<int64_t>(0, absl::ToInt64Seconds(now - at));
  if (seconds < 120) return absl::StrCat(seconds, "s");
  if (seconds < 120 * 60) return absl::StrCat(seconds / 60, "m");
  if (seconds < 48 * 3600) return absl::StrCat(seconds / 3600, "h");
  return absl::StrCat(seconds / 86400, "d");
}

std::string RenderEvents(const std::vector<v1::Event>& events, absl::Time now, bool wide,
                         bool header, bool with_object) {
  std::vector<std::string> headers;
  if (wide) headers.push_back("SEQ");
  for (const char* h : {"LAST SEEN", "TYPE", "REASON"}) headers.push_back(h);
  if (with_object) headers.push_back("OBJECT");
  headers.push_back("MESSAGE");
  Table table(headers);
  for (const v1::Event& e : events) {
    std::vector<std::string> row;
    if (wide) row.push_back(absl::StrCat(e.sequence()));
    row.push_back(EventAge(e, now));
    row.push_back(EventSeverity(e.type()));
    row.push_back(EventReason(e.type()));
    if (with_object) {
      row.push_back(absl::StrCat(absl::AsciiStrToLower(e.object().kind()), "/", e.object().name()));
    }
    row.push_back(e.message());
    table.AddRow(std::move(row));
  }
  std::string out = table.Render();
  if (!header) out.erase(0, out.find('\n') + 1);
  return out;
}

grpc::Status ListObjectEvents(const std::shared_ptr<grpc::Channel>& channel, absl::string_view kind,
                              absl::string_view name, int limit, std::vector<v1::Event>* events) {
  v1::ListEventsRequest request;
  request.mutable_filter()->add_kinds(std::string(kind));
  request.mutable_filter()->add_names(std::string(name));
  request.set_limit(limit);
  v1::ListEventsResponse response;
  grpc::Status status =
      v1::Events::NewStub(channel)->ListEvents(NewCallContext().get(), request, &response);
  events->assign(response.events().begin(), response.events().end());
  return status;
}

}  // namespace onvm::cli
