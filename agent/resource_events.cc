#include "agent/resource_events.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace onvm::agent {
namespace {

using onvm::v1::Event;

template <typename T>
void Add(const google::protobuf::RepeatedPtrField<T>& items, const char* kind,
         std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint32_t>>* out) {
  for (const T& item : items) {
    (*out)[{kind, item.metadata().name()}] = {item.metadata().generation(), item.status().id()};
  }
}

Event MakeEvent(Event::Type type, const std::string& kind, const std::string& name,
                uint64_t resource_generation, uint64_t desired_generation) {
  const char* verb = type == Event::RESOURCE_CREATED   ? "created"
                     : type == Event::RESOURCE_UPDATED ? "updated"
                                                       : "deleted";
  Event event;
  event.set_type(type);
  event.mutable_object()->set_kind(kind);
  event.mutable_object()->set_name(name);
  event.set_resource_generation(resource_generation);
  event.set_message(absl::StrCat(verb, " ", absl::AsciiStrToLower(kind), " \"", name,
                                 "\" (desired generation ", desired_generation, ")"));
  return event;
}

}  // namespace

ResourceEvents::ResourceEvents(EventHub* hub, const AgentState& initial)
    : hub_(hub), last_(Summarize(initial)) {}

ResourceEvents::Summary ResourceEvents::Summarize(const AgentState& state) {
  Summary out;
  Add(state.services(), "Service", &out);
  Add(state.chains(), "Chain", &out);
  Add(state.rules(), "Rule", &out);
  return out;
}

void ResourceEvents::Committed(const AgentState& committed) {
  Summary next = Summarize(committed);
  absl::MutexLock lock(&mu_);
  const uint64_t generation = committed.generation();
  for (const auto& [key, old] : last_) {
    auto it = next.find(key);
    // Another id under the same name is another resource.
    if (it == next.end() || it->second.second != old.second) {
      hub_->Publish(MakeEvent(Event::RESOURCE_DELETED, key.first, key.second, 0, generation));
    }
  }
  for (const auto& [key, now] : next) {
    auto it = last_.find(key);
    if (it == last_.end() || it->second.second != now.second) {
      hub_->Publish(
          MakeEvent(Event::RESOURCE_CREATED, key.first, key.second, now.first, generation));
    } else if (it->second.first != now.first) {
      hub_->Publish(
          MakeEvent(Event::RESOURCE_UPDATED, key.first, key.second, now.first, generation));
    }
  }
  last_ = std::move(next);
}

}  // namespace onvm::agent
