#include "agent/event_hub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace onvm::agent {

using onvm::v1::Event;

EventMatcher::EventMatcher(const onvm::v1::EventFilter& filter) {
  for (const std::string& kind : filter.kinds()) kinds_.insert(absl::AsciiStrToLower(kind));
  names_.insert(filter.names().begin(), filter.names().end());
}

bool EventMatcher::Matches(const Event& event) const {
  if (!kinds_.empty() && !kinds_.contains(absl::AsciiStrToLower(event.object().kind()))) {
    return false;
  }
  return names_.empty() || names_.contains(event.object().name());
}

// One subscriber's queue. Every field is guarded by the hub's mutex; the
// condition variable wakes the subscriber's Next().
struct EventHub::Subscriber {
  explicit Subscriber(EventMatcher m) : matcher(std::move(m)) {}
  const EventMatcher matcher;
  std::deque<Event> queue;
  size_t capacity = 0;
  absl::Status ended;  // not OK once the subscription is over
  absl::CondVar ready;
};

EventHub::EventHub(Options options) : options_(options) {}

EventHub::~EventHub() { Shutdown(); }

uint64_t EventHub::Publish(Event event) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (shut_down_) return 0;
  event.set_sequence(++last_sequence_);
  const int64_t seconds = absl::ToUnixSeconds(now);
  event.mutable_time()->set_seconds(seconds);
  event.mutable_time()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(seconds))));
  // Subscribers first, then the ring takes the event itself.
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    Subscriber* s = *it;
    if (!s->matcher.Matches(event)) {
      ++it;
      continue;
    }
    if (s->queue.size() >= s->capacity) {
      // Dropping the queue now bounds memory; the subscriber learns where
      // to resume from the last event it did receive.
      s->ended = absl::ResourceExhaustedError(
          absl::StrCat("the event stream fell more than ", options_.queue_size,
                       " events behind and was ended; watch again with since_sequence set to the "
                       "last sequence received"));
      s->queue.clear();
      s->ready.Signal();
      it = subscribers_.erase(it);
      continue;
    }
    s->queue.push_back(event);
    s->ready.Signal();
    ++it;
  }
  ring_.push_back(std::move(event));
  while (ring_.size() > std::max<size_t>(options_.ring_size, 1)) ring_.pop_front();
  return last_sequence_;
}

EventHub::Listing EventHub::List(const EventMatcher& matcher, size_t limit) const {
  Listing listing;
  absl::MutexLock lock(&mu_);
  listing.last_sequence = last_sequence_;
  listing.first_sequence = ring_.empty() ? 0 : ring_.front().sequence();
  // Newest first, up to the limit, then put back in order.
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
    if (limit != 0 && listing.events.size() >= limit) break;
    if (matcher.Matches(*it)) listing.events.push_back(*it);
  }
  std::reverse(listing.events.begin(), listing.events.end());
  return listing;
}

absl::StatusOr<std::unique_ptr<EventHub::Subscription>> EventHub::Subscribe(
    EventMatcher matcher, std::optional<uint64_t> since_sequence) {
  auto subscriber = std::make_unique<Subscriber>(std::move(matcher));
  absl::MutexLock lock(&mu_);
  if (shut_down_) return absl::UnavailableError("the agent is shutting down");
  if (since_sequence.has_value()) {
    const uint64_t since = *since_sequence;
    if (since > last_sequence_) {
      return absl::OutOfRangeError(absl::StrCat(
          "since_sequence ", since, " is newer than the newest event (", last_sequence_,
          "): the agent restarted and counts from 1 again; list events and watch from their "
          "last_sequence"));
    }
    const uint64_t first = ring_.empty() ? last_sequence_ + 1 : ring_.front().sequence();
    if (since + 1 < first) {
      return absl::OutOfRangeError(
          absl::StrCat("since_sequence ", since, " is too old: the oldest event still kept is ",
                       first, "; list events and watch from their last_sequence"));
    }
    for (const Event& event : ring_) {
      if (event.sequence() > since && subscriber->matcher.Matches(event)) {
        subscriber->queue.push_back(event);
      }
    }
  }
  // Room for the replay on top of the usual queue.
  subscriber->capacity = options_.queue_size + subscriber->queue.size();
  subscribers_.push_back(subscriber.get());
  return absl::WrapUnique(new Subscription(this, std::move(subscriber)));
}

void EventHub::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  for (Subscriber* s : subscribers_) {
    s->ended = absl::UnavailableError("the agent is shutting down");
    s->queue.clear();  // so that streams end now, not after a backlog
    s->ready.Signal();
  }
  subscribers_.clear();
}

size_t EventHub::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

void EventHub::Unsubscribe(Subscriber* subscriber) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscriber),
                     subscribers_.end());
}

EventHub::Subscription::Subscription(EventHub* hub, std::unique_ptr<Subscriber> subscriber)
    : hub_(hub), subscriber_(std::move(subscriber)) {}

EventHub::Subscription::~Subscription() { hub_->Unsubscribe(subscriber_.get()); }

absl::StatusOr<std::optional<Event>> EventHub::Subscription::Next(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&hub_->mu_);
  Subscriber* s = subscriber_.get();
  while (s->queue.empty() && s->ended.ok()) {
    if (s->ready.WaitWithDeadline(&hub_->mu_, deadline)) break;  // timed out
  }
  // An ended subscription's queue was emptied when it ended.
  if (!s->queue.empty()) {
    Event event = std::move(s->queue.front());
    s->queue.pop_front();
    return std::optional<Event>(std::move(event));
  }
  if (!s->ended.ok()) return s->ended;
  return std::optional<Event>();
}

}  // namespace onvm::agent
