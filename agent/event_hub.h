// The agent's event stream: a bounded ring of recent events, and
// subscribers that each get a bounded queue of their own. Publishing never
// waits for a subscriber: one that falls too far behind is cut off (its
// Next() fails with RESOURCE_EXHAUSTED) and resumes by sequence number.
#ifndef ONVM_AGENT_EVENT_HUB_H_
#define ONVM_AGENT_EVENT_HUB_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "onvm/v1/event.pb.h"

namespace onvm::agent {

// Which events a listing or subscription wants (EventFilter in the API).
class EventMatcher {
 public:
  explicit EventMatcher(const onvm::v1::EventFilter& filter);
  bool Matches(const onvm::v1::Event& event) const;

 private:
  absl::flat_hash_set<std::string> kinds_;  // lower-case
  absl::flat_hash_set<std::string> names_;
};

class EventHub {
 public:
  static constexpr size_t kDefaultRingSize = 4096;
  static constexpr size_t kDefaultQueueSize = 1024;

  struct Options {
    // Events kept for ListEvents and for resuming subscribers.
    size_t ring_size = kDefaultRingSize;
    // Events a subscriber may have waiting before it is cut off.
    size_t queue_size = kDefaultQueueSize;
  };

  class Subscription;

  EventHub() : EventHub(Options()) {}
  explicit EventHub(Options options);
  // Subscriptions must be gone by then.
  ~EventHub();

  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Stamps `event` with the next sequence number and the current time,
  // keeps it and queues it for every subscriber it matches. Returns its
  // sequence. Never blocks on subscribers. Does nothing after Shutdown()
  // (returns 0).
  uint64_t Publish(onvm::v1::Event event);

  struct Listing {
    std::vector<onvm::v1::Event> events;  // oldest first
    uint64_t first_sequence = 0;          // oldest retained, 0 if none
    uint64_t last_sequence = 0;           // newest published, 0 if none
  };
  // The newest `limit` retained events that match (all when limit is 0).
  Listing List(const EventMatcher& matcher, size_t limit) const;

  // A subscription that gets matching events published from now on; with
  // `since_sequence`, first the retained ones after it. OUT_OF_RANGE when
  // events after since_sequence are no longer retained or since_sequence
  // is ahead of the newest event; UNAVAILABLE after Shutdown().
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(EventMatcher matcher,
                                                          std::optional<uint64_t> since_sequence);

  // Ends every subscription (UNAVAILABLE) and refuses new ones, so that
  // streaming calls return and the gRPC server can stop. Idempotent.
  void Shutdown();

  // Subscriptions currently receiving events (not cut off, not ended).
  size_t subscriber_count() const;

 private:
  struct Subscriber;

  void Unsubscribe(Subscriber* subscriber);

  const Options options_;
  mutable absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<onvm::v1::Event> ring_ ABSL_GUARDED_BY(mu_);
  std::vector<Subscriber*> subscribers_ ABSL_GUARDED_BY(mu_);
};

class EventHub::Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The next event, waiting at most `timeout` for one (nullopt if none
  // came). Fails once the subscription has ended: RESOURCE_EXHAUSTED when
  // it fell behind, UNAVAILABLE when the hub shut down.
  absl::StatusOr<std::optional<onvm::v1::Event>> Next(absl::Duration timeout);

 private:
  friend class EventHub;
  Subscription(EventHub* hub, std::unique_ptr<Subscriber> subscriber);

  EventHub* const hub_;
  std::unique_ptr<Subscriber> subscriber_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_EVENT_HUB_H_
