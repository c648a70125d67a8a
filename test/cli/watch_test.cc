// `get -w`, `events [-w]` and describe's Events section, in-process against
// the fake agent, whose event stream is scripted.
#include <sstream>

#include "absl/strings/str_split.h"
#include "cli/event_table.h"
#include "cli/run.h"
#include "fake_agent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cli/cli_test_util.h"

namespace onvm::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using Result = ::onvm::cli::testing::CliResult;

v1::Event MakeEvent(uint64_t seq, v1::Event::Type type, const std::string& kind,
                    const std::string& name, const std::string& message) {
  v1::Event e;
  e.set_sequence(seq);
  e.set_type(type);
  e.mutable_object()->set_kind(kind);
  e.mutable_object()->set_name(name);
  e.set_message(message);
  e.mutable_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) - 30);
  return e;
}

v1::Service MakeService(const std::string& name, uint32_t replicas, uint32_t id) {
  v1::Service s;
  s.mutable_metadata()->set_name(name);
  s.mutable_metadata()->set_generation(1);
  s.mutable_spec()->set_replicas(replicas);
  s.mutable_status()->set_id(id);
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::FakeState& s = agent_.state();
    std::lock_guard lock(s.mu);
    s.services["fw"] = MakeService("fw", 1, 1);
    s.services_created_by_watch["mon"] = MakeService("mon", 2, 2);
    s.events.push_back(
        MakeEvent(1, v1::Event::RESOURCE_CREATED, "Service", "fw", "created service \"fw\""));
    s.watch_events.push_back(
        MakeEvent(2, v1::Event::RESOURCE_CREATED, "Service", "mon", "created service \"mon\""));
    s.watch_events.push_back(
        MakeEvent(3, v1::Event::RESOURCE_UPDATED, "Service", "fw", "updated service \"fw\""));
    s.watch_events.push_back(
        MakeEvent(4, v1::Event::RESOURCE_DELETED, "Service", "mon", "deleted service \"mon\""));
  }

  Result Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", agent_.address()});
    return ::onvm::cli::testing::RunOnvmctl(std::move(args));
  }

  testing::FakeAgent agent_;
};

TEST_F(WatchTest, GetWatchPrintsTheTableThenALinePerChange) {
  Result r = Ctl({"get", "services", "-w"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_THAT(lines[0], StartsWith("NAME"));
  EXPECT_THAT(lines[1], StartsWith("fw "));
  EXPECT_THAT(lines[2], StartsWith("mon "));  // created
  EXPECT_THAT(lines[3], StartsWith("fw "));   // updated
  EXPECT_THAT(lines[4], StartsWith("mon "));  // deleted: as last seen
  std::lock_guard lock(agent_.state().mu);
  ASSERT_EQ(agent_.state().watch_requests.size(), 1u);
  const v1::WatchEventsRequest& w = agent_.state().watch_requests[0];
  // From the position ListEvents gave before listing: nothing missed.
  EXPECT_TRUE(w.has_since_sequence());
  EXPECT_EQ(w.since_sequence(), 4u);
  EXPECT_THAT(w.filter().kinds(), ElementsAre("Service"));
  EXPECT_TRUE(w.filter().names().empty());
}

TEST_F(WatchTest, GetWatchJsonIsOneWatchEventPerLine) {
  Result r = Ctl({"get", "svc", "--watch", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_THAT(lines[0], StartsWith(R"({"type":"ADDED","object":{"apiVersion":"onvm/v1",)"));
  EXPECT_THAT(lines[0], HasSubstr(R"("name":"fw")"));
  EXPECT_THAT(lines[1], StartsWith(R"({"type":"ADDED",)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("name":"mon")"));
  EXPECT_THAT(lines[2], StartsWith(R"({"type":"MODIFIED",)"));
  EXPECT_THAT(lines[3], StartsWith(R"({"type":"DELETED",)"));
  EXPECT_THAT(lines[3], HasSubstr(R"("name":"mon")"));
}

TEST_F(WatchTest, GetWatchOfNamesFiltersByName) {
  Result r = Ctl({"get", "service", "fw", "-w", "-o", "name"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/fw\nservice/fw\n");
  std::lock_guard lock(agent_.state().mu);
  EXPECT_THAT(agent_.state().watch_requests[0].filter().names(), ElementsAre("fw"));
}

TEST_F(WatchTest, CutOffStreamResumesFromTheLastEventReceived) {
  {
    std::lock_guard lock(agent_.state().mu);
    agent_.state().watch_ends = {grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "behind")};
  }
  Result r = Ctl({"get", "services", "-w"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::lock_guard lock(agent_.state().mu);
  ASSERT_EQ(agent_.state().watch_requests.size(), 2u);
  EXPECT_EQ(agent_.state().watch_requests[1].since_sequence(), 4u);
}

TEST_F(WatchTest, GapListsEverythingAgain) {
  {
    std::lock_guard lock(agent_.state().mu);
    agent_.state().watch_ends = {grpc::Status(grpc::StatusCode::OUT_OF_RANGE, "too old")};
  }
  Result r = Ctl({"get", "services", "-w"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 7u) << r.out;
  // The listing again.
  EXPECT_THAT(lines[5], StartsWith("fw "));
  EXPECT_THAT(lines[6], StartsWith("mon "));
  std::lock_guard lock(agent_.state().mu);
  EXPECT_EQ(agent_.state().watch_requests.size(), 2u);
  EXPECT_EQ(agent_.state().list_events_requests.size(), 2u);
}

TEST_F(WatchTest, StreamErrorsMapToExitCodes) {
  {
    std::lock_guard lock(agent_.state().mu);
    agent_.state().watch_ends = {grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down")};
  }
  Result r = Ctl({"get", "services", "-w"});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("shutting down"));

  {
    std::lock_guard lock(agent_.state().mu);
    agent_.state().watch_ends = {grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no")};
  }
  r = Ctl({"events", "-w"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no"));
}

TEST_F(WatchTest, UsageErrors) {
  EXPECT_EQ(Ctl({"get", "services", "-w", "-o", "yaml"}).code, 2);
  EXPECT_EQ(Ctl({"events", "ports"}).code, 2);
  EXPECT_EQ(Ctl({"events", "-o", "name"}).code, 2);
  EXPECT_EQ(Ctl({"events", "--replicas", "3"}).code, 2);
  EXPECT_EQ(Ctl({"get", "services", "--watch=maybe"}).code, 2);
}

TEST(WatchUnreachableTest, NoAgentExitsThree) {
  std::istringstream in;
  std::ostringstream out, err;
  Environment env;
  env.in = &in;
  env.out = &out;
  env.err = &err;
  env.connect_timeout = absl::Milliseconds(200);
  EXPECT_EQ(RunCli({"--server", "127.0.0.1:1", "get", "svc", "-w"}, env), 3);
  EXPECT_EQ(RunCli({"--server", "127.0.0.1:1", "events"}, env), 3);
}

TEST_F(WatchTest, EventsListsThenWatches) {
  Result r = Ctl({"events"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_THAT(lines[0], StartsWith("LAST SEEN   TYPE     REASON    OBJECT       MESSAGE"));
  EXPECT_EQ(lines[1], "30s         Normal   Created   service/fw   created service \"fw\"");

  r = Ctl({"events", "--watch", "-o", "wide"});
  ASSERT_EQ(r.code, 0) << r.err;
  lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_THAT(lines[0], StartsWith("SEQ   LAST SEEN"));
  EXPECT_THAT(lines[2], StartsWith("2 "));
  EXPECT_THAT(lines[2], HasSubstr("service/mon"));
  EXPECT_THAT(lines[4], HasSubstr("Deleted"));
}

TEST_F(WatchTest, EventsFilterAndJson) {
  {
    std::lock_guard lock(agent_.state().mu);
    agent_.state().events.push_back(
        MakeEvent(5, v1::Event::INSTANCE_GONE, "Instance", "fw-1", "instance fw-1 is gone"));
  }
  Result r = Ctl({"events", "inst", "fw-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Warning   InstanceGone   instance/fw-1   instance fw-1 is gone"));
  EXPECT_THAT(r.out, Not(HasSubstr("service/fw")));
  {
    std::lock_guard lock(agent_.state().mu);
    const v1::ListEventsRequest& l = agent_.state().list_events_requests.back();
    EXPECT_THAT(l.filter().kinds(), ElementsAre("Instance"));
    EXPECT_THAT(l.filter().names(), ElementsAre("fw-1"));
  }

  r = Ctl({"events", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"kind\": \"List\""));
  EXPECT_THAT(r.out, HasSubstr("\"type\": \"INSTANCE_GONE\""));

  r = Ctl({"events", "engine"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "No events found.\n");
}

TEST_F(WatchTest, DescribeShowsTheObjectsEvents) {
  Result r = Ctl({"describe", "service", "fw"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Events:\n  LAST SEEN   TYPE     REASON    MESSAGE\n"
                               "  30s         Normal   Created   created service \"fw\"\n"));
  {
    std::lock_guard lock(agent_.state().mu);
    const v1::ListEventsRequest& l = agent_.state().list_events_requests.back();
    EXPECT_THAT(l.filter().kinds(), ElementsAre("Service"));
    EXPECT_THAT(l.filter().names(), ElementsAre("fw"));
  }
  {
    std::lock_guard lock(agent_.state().mu);
    agent_.state().chains["web"].mutable_metadata()->set_name("web");
  }
  r = Ctl({"describe", "chain", "web"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nEvents:"));
  EXPECT_THAT(r.out, HasSubstr("<none>\n"));
}

TEST(EventTableTest, AgeAndSeverity) {
  const absl::Time now = absl::FromUnixSeconds(1000000);
  v1::Event e;
  e.mutable_time()->set_seconds(1000000 - 59);
  EXPECT_EQ(EventAge(e, now), "59s");
  e.mutable_time()->set_seconds(1000000 - 3 * 60 * 60);
  EXPECT_EQ(EventAge(e, now), "3h");
  e.mutable_time()->set_seconds(1000000 - 3 * 86400);
  EXPECT_EQ(EventAge(e, now), "3d");
  EXPECT_EQ(EventSeverity(v1::Event::ENGINE_DOWN), "Warning");
  EXPECT_EQ(EventSeverity(v1::Event::CONFIG_APPLIED), "Normal");
  EXPECT_EQ(EventReason(v1::Event::RESOURCE_UPDATED), "Updated");
}

}  // namespace
}  // namespace onvm::cli
