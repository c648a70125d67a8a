// RESOURCE_CREATED / UPDATED / DELETED events: each committed desired state
// is compared with the one before it, so that every way of changing the
// state (Create, Update, Delete, Apply) is reported alike.
#ifndef ONVM_AGENT_RESOURCE_EVENTS_H_
#define ONVM_AGENT_RESOURCE_EVENTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agent/event_hub.h"
#include "agent/state.pb.h"

namespace onvm::agent {

class ResourceEvents {
 public:
  // `hub` must outlive this. `initial` is the state the store starts with.
  ResourceEvents(EventHub* hub, const AgentState& initial);

  // Publishes an event per resource that `committed` adds, changes or
  // removes compared with the state last seen. Called in commit order.
  void Committed(const AgentState& committed);

 private:
  // "Service/fw" -> (metadata.generation, status.id).
  using Summary = std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint32_t>>;
  static Summary Summarize(const AgentState& state);

  EventHub* const hub_;
  absl::Mutex mu_;
  Summary last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_RESOURCE_EVENTS_H_
