// Printing agent events (onvm.v1.Event) kubectl-events style, and fetching
// the recent ones of one object for `describe`.
#ifndef ONVM_CLI_EVENT_TABLE_H_
#define ONVM_CLI_EVENT_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "onvm/v1/event.pb.h"

namespace onvm::cli {

// "Created", "InstanceGone", "ConfigApplied", ...
std::string EventReason(v1::Event::Type type);

// "Warning" for what needs attention (instance gone, engine down),
// otherwise "Normal".
std::string EventSeverity(v1::Event::Type type);

// How long ago `event` happened, kubectl style: "5s", "3m", "2h", "4d".
std::string EventAge(const v1::Event& event, absl::Time now);

// The events table: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (and SEQ
// first when `wide`). `header` false leaves out the header line, for the
// rows a watch adds. `with_object` false leaves out OBJECT (describe).
std::string RenderEvents(const std::vector<v1::Event>& events, absl::Time now, bool wide,
                         bool header = true, bool with_object = true);

// The newest `limit` events about the object `kind`/`name` (kind as in the
// API: "Service").
grpc::Status ListObjectEvents(const std::shared_ptr<grpc::Channel>& channel, absl::string_view kind,
                              absl::string_view name, int limit, std::vector<v1::Event>* events);

}  // namespace onvm::cli

#endif  // ONVM_CLI_EVENT_TABLE_H_
