// Following the agent's event stream (WatchEvents): `get KIND -w`, and the
// loop that `events --watch` shares with it.
#ifndef ONVM_CLI_WATCH_H_
#define ONVM_CLI_WATCH_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "cli/kinds.h"
#include "cli/output.h"
#include "cli/session.h"
#include "grpcpp/channel.h"
#include "onvm/v1/event.pb.h"

namespace onvm::cli {

// `get KIND [NAME...] --watch`: prints what `get` prints, then one line per
// change of those objects as the agent reports it, until interrupted or the
// agent ends the stream. With -o json each line is a watch event
// {"type":"ADDED|MODIFIED|DELETED","object":{...}}, the initial objects
// included (as ADDED). Ports have no events of their own: they are listed
// again whenever the engine reconnects.
int RunGetWatch(const Targets& targets, OutputFormat format, Session& session);

// The sequence of the newest event the agent has published: watching from
// it misses nothing that happens after this call.
grpc::Status LastEventSequence(const std::shared_ptr<grpc::Channel>& channel, uint64_t* sequence);

// Streams events matching `filter` published after `since`, calling
// `on_event` for each (an error from it ends the watch with that error).
// When the stream is cut (the client fell behind) it resumes from the last
// event received; when the agent no longer holds the events needed to
// resume without a gap, `on_gap` is called and returns the sequence to
// watch from (after, typically, listing everything again). Returns the
// exit code: 0 when the agent ended the stream, 3 when the agent went
// away, 1 for other errors (printed).
int FollowEvents(Session& session, const std::shared_ptr<grpc::Channel>& channel,
                 const v1::EventFilter& filter, uint64_t since,
                 const std::function<grpc::Status(const v1::Event&)>& on_event,
                 const std::function<absl::StatusOr<uint64_t>()>& on_gap);

}  // namespace onvm::cli

#endif  // ONVM_CLI_WATCH_H_
