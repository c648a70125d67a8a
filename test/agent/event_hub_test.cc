// The event hub on its own: sequence numbers, the bounded ring, filters,
// resuming by sequence, slow subscribers cut off without stalling
// publishers, and shutdown waking every waiting subscriber.
#include "agent/event_hub.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onvm::agent {
namespace {

using onvm::v1::Event;
using onvm::v1::EventFilter;
using ::testing::HasSubstr;

Event MakeEvent(const std::string& kind, const std::string& name,
                Event::Type type = Event::RESOURCE_CREATED) {
  Event e;
  e.set_type(type);
  e.mutable_object()->set_kind(kind);
  e.mutable_object()->set_name(name);
  e.set_message(absl::StrCat(kind, "/", name));
  return e;
}

EventFilter Filter(std::vector<std::string> kinds, std::vector<std::string> names = {}) {
  EventFilter f;
  for (const std::string& k : kinds) f.add_kinds(k);
  for (const std::string& n : names) f.add_names(n);
  return f;
}

std::vector<uint64_t> Sequences(const std::vector<Event>& events) {
  std::vector<uint64_t> out;
  for (const Event& e : events) out.push_back(e.sequence());
  return out;
}

// Takes every event queued now (Next with no wait).
std::vector<Event> Drain(EventHub::Subscription& sub) {
  std::vector<Event> out;
  for (;;) {
    absl::StatusOr<std::optional<Event>> next = sub.Next(absl::ZeroDuration());
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(**next);
  }
}

TEST(EventHubTest, SequencesStartAtOneAndTimesAreSet) {
  EventHub hub;
  EXPECT_EQ(hub.Publish(MakeEvent("Service", "a")), 1u);
  EXPECT_EQ(hub.Publish(MakeEvent("Service", "b")), 2u);
  EventHub::Listing all = hub.List(EventMatcher(EventFilter()), 0);
  ASSERT_EQ(all.events.size(), 2u);
  EXPECT_EQ(all.first_sequence, 1u);
  EXPECT_EQ(all.last_sequence, 2u);
  EXPECT_EQ(all.events[0].object().name(), "a");
  EXPECT_GT(all.events[0].time().seconds(), 1600000000);
}

TEST(EventHubTest, RingKeepsTheNewestAndListHonoursFilterAndLimit) {
  EventHub hub(EventHub::Options{.ring_size = 4, .queue_size = 8});
  for (int i = 1; i <= 6; ++i) hub.Publish(MakeEvent(i % 2 ? "Service" : "Chain", "x"));
  EventHub::Listing all = hub.List(EventMatcher(EventFilter()), 0);
  EXPECT_THAT(Sequences(all.events), ::testing::ElementsAre(3, 4, 5, 6));
  EXPECT_EQ(all.first_sequence, 3u);
  EXPECT_EQ(all.last_sequence, 6u);
  // Kinds match case-insensitively.
  EXPECT_THAT(Sequences(hub.List(EventMatcher(Filter({"service"})), 0).events),
              ::testing::ElementsAre(3, 5));
  EXPECT_THAT(Sequences(hub.List(EventMatcher(EventFilter()), 2).events),
              ::testing::ElementsAre(5, 6));
  EXPECT_TRUE(hub.List(EventMatcher(Filter({}, {"y"})), 0).events.empty());
}

TEST(EventHubTest, SubscriberGetsMatchingEventsInOrder) {
  EventHub hub;
  absl::StatusOr<std::unique_ptr<EventHub::Subscription>> sub =
      hub.Subscribe(EventMatcher(Filter({"Service"}, {"fw"})), std::nullopt);
  ASSERT_TRUE(sub.ok()) << sub.status();
  hub.Publish(MakeEvent("Service", "fw"));
  hub.Publish(MakeEvent("Chain", "fw"));
  hub.Publish(MakeEvent("Service", "mon"));
  hub.Publish(MakeEvent("Service", "fw", Event::RESOURCE_DELETED));
  std::vector<Event> got = Drain(**sub);
  EXPECT_THAT(Sequences(got), ::testing::ElementsAre(1, 4));
  EXPECT_EQ(got[1].type(), Event::RESOURCE_DELETED);
}

TEST(EventHubTest, NextWaitsForAPublishFromAnotherThread) {
  EventHub hub;
  auto sub = hub.Subscribe(EventMatcher(EventFilter()), std::nullopt);
  ASSERT_TRUE(sub.ok());
  std::thread publisher([&] { hub.Publish(MakeEvent("Rule", "r")); });
  absl::StatusOr<std::optional<Event>> next = (*sub)->Next(absl::Seconds(30));
  publisher.join();
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->object().name(), "r");
}

TEST(EventHubTest, NextTimesOutWithNothing) {
  EventHub hub;
  auto sub = hub.Subscribe(EventMatcher(EventFilter()), std::nullopt);
  ASSERT_TRUE(sub.ok());
  absl::StatusOr<std::optional<Event>> next = (*sub)->Next(absl::Milliseconds(10));
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
}

TEST(EventHubTest, ResumeReplaysRetainedEventsThenLiveOnesWithoutGap) {
  EventHub hub(EventHub::Options{.ring_size = 10, .queue_size = 10});
  for (int i = 0; i < 5; ++i) hub.Publish(MakeEvent("Service", absl::StrCat("s", i)));
  auto sub = hub.Subscribe(EventMatcher(EventFilter()), 3);
  ASSERT_TRUE(sub.ok()) << sub.status();
  hub.Publish(MakeEvent("Service", "live"));
  EXPECT_THAT(Sequences(Drain(**sub)), ::testing::ElementsAre(4, 5, 6));

  // since 0: everything retained.
  auto from_start = hub.Subscribe(EventMatcher(EventFilter()), 0);
  ASSERT_TRUE(from_start.ok());
  EXPECT_THAT(Sequences(Drain(**from_start)), ::testing::ElementsAre(1, 2, 3, 4, 5, 6));
  // since the newest: nothing yet, but no error.
  auto at_end = hub.Subscribe(EventMatcher(EventFilter()), 6);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(Drain(**at_end).empty());
}

TEST(EventHubTest, ResumeFromASequenceNoLongerHeldIsOutOfRange) {
  EventHub hub(EventHub::Options{.ring_size = 3, .queue_size = 10});
  for (int i = 0; i < 6; ++i) hub.Publish(MakeEvent("Service", "s"));  // keeps 4..6
  EXPECT_TRUE(hub.Subscribe(EventMatcher(EventFilter()), 3).ok());     // next is 4: held
  absl::StatusOr<std::unique_ptr<EventHub::Subscription>> gone =
      hub.Subscribe(EventMatcher(EventFilter()), 2);  // 3 is lost
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(gone.status().message(), HasSubstr("since_sequence 2"));
  EXPECT_THAT(gone.status().message(), HasSubstr("oldest event still kept is 4"));
  absl::StatusOr<std::unique_ptr<EventHub::Subscription>> ahead =
      hub.Subscribe(EventMatcher(EventFilter()), 7);
  EXPECT_EQ(ahead.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(ahead.status().message(), HasSubstr("newer than the newest event (6)"));
}

TEST(EventHubTest, SlowSubscriberIsCutOffAndPublishersDoNotBlock) {
  EventHub hub(EventHub::Options{.ring_size = 16, .queue_size = 4});
  auto slow = hub.Subscribe(EventMatcher(EventFilter()), std::nullopt);
  auto other = hub.Subscribe(EventMatcher(Filter({"Chain"})), std::nullopt);
  ASSERT_TRUE(slow.ok());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(hub.subscriber_count(), 2u);
  // Nobody reads `slow`: the fifth event overflows its queue. Publishing
  // many more must still return at once.
  for (int i = 0; i < 10000; ++i) hub.Publish(MakeEvent("Service", "s"));
  EXPECT_EQ(hub.subscriber_count(), 1u);
  absl::StatusOr<std::optional<Event>> next = (*slow)->Next(absl::Seconds(30));
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(next.status().message(), HasSubstr("since_sequence"));
  // The other subscriber, whose filter matched none of them, is untouched.
  hub.Publish(MakeEvent("Chain", "c"));
  EXPECT_THAT(Sequences(Drain(**other)), ::testing::ElementsAre(10001));
}

TEST(EventHubTest, ShutdownWakesWaitersAndRefusesNewSubscribers) {
  EventHub hub;
  auto sub = hub.Subscribe(EventMatcher(EventFilter()), std::nullopt);
  ASSERT_TRUE(sub.ok());
  std::atomic<bool> woke{false};
  absl::Status status;
  std::thread waiter([&] {
    absl::StatusOr<std::optional<Event>> next = (*sub)->Next(absl::Hours(1));
    status = next.status();
    woke = true;
  });
  hub.Shutdown();
  waiter.join();  // would hang for an hour if Shutdown did not wake it
  EXPECT_TRUE(woke);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.Subscribe(EventMatcher(EventFilter()), std::nullopt).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.Publish(MakeEvent("Service", "late")), 0u);
}

TEST(EventHubTest, ConcurrentPublishersAndSubscribersSeeEveryEventOnce) {
  EventHub hub(EventHub::Options{.ring_size = 4096, .queue_size = 100000});
  auto sub = hub.Subscribe(EventMatcher(EventFilter()), std::nullopt);
  ASSERT_TRUE(sub.ok());
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&hub, t] {
      for (int i = 0; i < kEach; ++i) hub.Publish(MakeEvent("Service", absl::StrCat("t", t)));
    });
  }
  std::vector<uint64_t> seen;
  while (seen.size() < kThreads * kEach) {
    absl::StatusOr<std::optional<Event>> next = (*sub)->Next(absl::Seconds(30));
    ASSERT_TRUE(next.ok()) << next.status();
    ASSERT_TRUE(next->has_value()) << "only " << seen.size() << " events arrived";
    seen.push_back((*next)->sequence());
  }
  for (std::thread& t : publishers) t.join();
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

}  // namespace
}  // namespace onvm::agent
