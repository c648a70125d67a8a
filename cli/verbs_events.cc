// `onvmctl events [KIND [NAME...]] [--watch] [-o wide|json]`: what the agent
// saw happen (resources changed, configurations applied, engine up and
// down, NF instances started and gone), oldest first, kubectl-events style.
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/event_table.h"
#include "cli/output.h"
#include "cli/verbs.h"
#include "cli/watch.h"
#include "google/protobuf/util/json_util.h"
#include "onvm/v1/event.grpc.pb.h"

namespace onvm::cli {
namespace {

// KIND [NAME...] as an event filter; "engine" is a kind here too.
absl::StatusOr<v1::EventFilter> ParseFilter(const std::vector<std::string>& args) {
  v1::EventFilter filter;
  if (args.empty()) return filter;
  const std::string word = absl::AsciiStrToLower(args.front());
  if (word == "engine" || word == "engines") {
    filter.add_kinds("Engine");
  } else {
    absl::StatusOr<Kind> kind = ResolveKind(word);
    if (!kind.ok()) return kind.status();
    if (*kind == Kind::kPort) {
      return absl::InvalidArgumentError(
          "ports have no events of their own (see: onvmctl events engine)");
    }
    filter.add_kinds(std::string(KindTitle(*kind)));
  }
  for (size_t i = 1; i < args.size(); ++i) filter.add_names(args[i]);
  return filter;
}

absl::StatusOr<std::string> JsonLine(const v1::Event& event) {
  std::string line;
  if (!google::protobuf::util::MessageToJsonString(event, &line).ok()) {
    return absl::InternalError("cannot print an event as JSON");
  }
  return line + "\n";
}

}  // namespace

int RunEvents(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {"output", "watch"}); !status.ok()) {
    return session.UsageError(status.message());
  }
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(invocation.output);
  if (!format.ok()) return session.UsageError(format.status().message());
  const bool wide = *format == OutputFormat::kWide;
  if (*format == OutputFormat::kName || (invocation.watch && *format == OutputFormat::kYaml)) {
    return session.UsageError(invocation.watch
                                  ? "events --watch prints a table, -o wide or -o json"
                                  : "events prints a table, -o wide, -o json or -o yaml");
  }
  absl::StatusOr<v1::EventFilter> filter = ParseFilter(invocation.args);
  if (!filter.ok()) return session.UsageError(filter.status().message());

  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  v1::ListEventsRequest request;
  *request.mutable_filter() = *filter;
  v1::ListEventsResponse response;
  grpc::Status status =
      v1::Events::NewStub(channel)->ListEvents(NewCallContext().get(), request, &response);
  if (!status.ok()) return session.ServerError(status);
  const std::vector<v1::Event> events(response.events().begin(), response.events().end());

  const bool json = *format == OutputFormat::kJson;
  if (events.empty() && !json) {
    session.err() << "No events found.\n";
  } else if (json && invocation.watch) {
    for (const v1::Event& e : events) {
      absl::StatusOr<std::string> line = JsonLine(e);
      if (!line.ok()) return session.Error(line.status().message());
      session.out() << *line;
    }
  } else if (json || *format == OutputFormat::kYaml) {
    std::vector<const google::protobuf::Message*> items;
    for (const v1::Event& e : events) items.push_back(&e);
    absl::StatusOr<std::string> text =
        json ? FormatJson(items, /*as_list=*/true) : FormatYaml(items, /*as_list=*/true);
    if (!text.ok()) return session.Error(text.status().message());
    session.out() << *text;
  } else {
    session.out() << RenderEvents(events, absl::Now(), wide);
  }
  session.out() << std::flush;
  if (!invocation.watch) return kExitOk;

  bool header_printed = !events.empty();
  return FollowEvents(
      session, channel, *filter, response.last_sequence(),
      [&](const v1::Event& e) -> grpc::Status {
        if (json) {
          absl::StatusOr<std::string> line = JsonLine(e);
          if (!line.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "cannot print as JSON");
          session.out() << *line;
        } else {
          session.out() << RenderEvents({e}, absl::Now(), wide, !header_printed);
          header_printed = true;
        }
        session.out() << std::flush;
        return grpc::Status::OK;
      },
      [&]() -> absl::StatusOr<uint64_t> {
        session.err() << "warning: some events were missed (the agent no longer holds them)\n";
        uint64_t from = 0;
        grpc::Status s = LastEventSequence(channel, &from);
        if (!s.ok()) return absl::UnavailableError(s.error_message());
        return from;
      });
}

}  // namespace onvm::cli
