// Chain and rule traffic in onvmctl's output: the wide tables, latency
// formatting, and the tables of `top` rendered from fixed samples.
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/json_format.h"
#include "cli/manifest.h"
#include "cli/tables.h"
#include "cli/top.h"
#include "cli/yaml_format.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "test/cli/cli_test_util.h"

namespace onvm::cli {
namespace {

using ::onvm::cli::testing::ParseText;

using ::testing::HasSubstr;
using ::testing::Optional;

// The engine's latency bounds (ONVM_STATS_LATENCY_BOUNDS_NS) in seconds.
const std::vector<double>& EngineBounds() {
  static const std::vector<double> bounds = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4,
                                             2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 1e-1};
  return bounds;
}

// A chain whose timed packets all took 10 to 20 us (bucket 4).
v1::Chain MakeChain(const std::string& name, uint32_t id, uint64_t packets, uint64_t completed,
                    uint64_t bytes, uint64_t in_bucket4) {
  v1::Chain chain;
  chain.mutable_metadata()->set_name(name);
  chain.mutable_spec()->add_services("fw");
  chain.mutable_spec()->mutable_then()->set_out("lan");
  v1::ChainStatus* s = chain.mutable_status();
  s->set_id(id);
  s->set_packets(packets);
  s->set_completed_packets(completed);
  s->set_bytes(bytes);
  for (double bound : EngineBounds()) s->add_latency_bucket_bounds_seconds(bound);
  for (size_t b = 0; b <= EngineBounds().size(); ++b) {
    s->add_latency_bucket_counts(b == 4 ? in_bucket4 : 0);
  }
  s->set_latency_sum_seconds(static_cast<double>(in_bucket4) * 15e-6);
  return chain;
}

v1::Rule MakeRule(const std::string& name, uint32_t id, uint64_t hits, bool drop = false) {
  v1::Rule rule;
  rule.mutable_metadata()->set_name(name);
  if (drop) {
    rule.mutable_spec()->mutable_action()->set_drop(true);
  } else {
    rule.mutable_spec()->mutable_action()->set_chain("web");
  }
  rule.mutable_status()->set_id(id);
  rule.mutable_status()->set_hits(hits);
  rule.mutable_status()->set_bytes(100 * hits);
  return rule;
}

TEST(FormatLatencyTest, ThreeSignificantDigitsInTheUnitThatSuits) {
  EXPECT_EQ(FormatLatency(std::nullopt), "-");
  EXPECT_EQ(FormatLatency(std::nan("")), "-");
  EXPECT_EQ(FormatLatency(0), "0ns");
  EXPECT_EQ(FormatLatency(850e-9), "850ns");
  EXPECT_EQ(FormatLatency(1.5e-6), "1.50us");
  EXPECT_EQ(FormatLatency(15e-6), "15.0us");
  EXPECT_EQ(FormatLatency(150e-6), "150us");
  EXPECT_EQ(FormatLatency(1.2e-3), "1.20ms");
  EXPECT_EQ(FormatLatency(0.1), "100ms");
  EXPECT_EQ(FormatLatency(2.5), "2.50s");
}

TEST(InstanceStateNameTest, NamesEveryState) {
  EXPECT_EQ(InstanceStateName(v1::InstanceStatus::STATE_UNSPECIFIED), "unknown");
  EXPECT_EQ(InstanceStateName(v1::InstanceStatus::STARTING), "starting");
  EXPECT_EQ(InstanceStateName(v1::InstanceStatus::RUNNING), "running");
  EXPECT_EQ(InstanceStateName(v1::InstanceStatus::DRAINING), "draining");
  // A state a newer agent knows and this client does not.
  EXPECT_EQ(InstanceStateName(static_cast<v1::InstanceStatus::State>(42)), "unknown");
}

TEST(ChainLatencyTest, QuantilesOfTheStatusHistogram) {
  const v1::Chain chain = MakeChain("web", 1, 100, 100, 6400, 100);
  EXPECT_THAT(ChainLatency(chain.status(), 0.5), Optional(::testing::DoubleNear(15e-6, 1e-12)));
  EXPECT_THAT(ChainLatency(chain.status(), 0.99), Optional(::testing::DoubleNear(19.9e-6, 1e-12)));
  // No bounds (an agent without traffic status) or no packets: no estimate.
  EXPECT_EQ(ChainLatency(v1::ChainStatus(), 0.5), std::nullopt);
  EXPECT_EQ(ChainLatency(MakeChain("idle", 2, 0, 0, 0, 0).status(), 0.5), std::nullopt);
}

TEST(TrafficTablesTest, WideChainsShowPacketsAndLatency) {
  v1::Chain web = MakeChain("web", 1, 120, 100, 7680, 100);
  web.mutable_spec()->add_services("mon");
  web.mutable_metadata()->set_generation(3);
  const std::vector<v1::Chain> items = {
      web, ParseText<v1::Chain>(R"pb(metadata { name: "sink" generation: 1 }
                                     spec {
                                       services: "fw"
                                       then { drop: true }
                                     }
                                     status { id: 2 })pb")};
  // The default table stays narrow.
  EXPECT_EQ(MakeTable(items, false).Render(),
            "NAME   ID   SERVICES   THEN\n"
            "web    1    fw,mon     out:lan\n"
            "sink   2    fw         drop\n");
  EXPECT_EQ(MakeTable(items, true).Render(),
            "NAME   ID   SERVICES   THEN      PACKETS   COMPLETED   P50      P99      GENERATION\n"
            "web    1    fw,mon     out:lan   120       100         15.0us   19.9us   3\n"
            "sink   2    fw         drop      0         0           -        -        1\n");
}

TEST(TrafficTablesTest, WideRulesShowBytes) {
  v1::Rule rule = MakeRule("web-in", 7, 12);
  rule.mutable_metadata()->set_generation(2);
  EXPECT_EQ(MakeTable(std::vector<v1::Rule>{rule}, true).Render(),
            "NAME     ID   PRIORITY   MATCH   ACTION      HITS   BYTES   GENERATION   ORIGIN\n"
            "web-in   7    0          *       chain:web   12     1200    2            grpc\n");
}

// `get -o yaml|json` of a chain with traffic prints the bounds as written
// ("1e-06", not 17 digits) and applies back: the server ignores status,
// and so does the manifest parser.
TEST(TrafficOutputTest, ChainStatusPrintsShortAndParsesBack) {
  v1::Chain chain = MakeChain("web", 1, 300, 290, 19200, 290);
  chain.set_api_version("onvm/v1");
  chain.set_kind("Chain");
  chain.mutable_status()->set_latency_sum_seconds(0.1);
  const std::string yaml = FormatYaml({&chain}, /*as_list=*/true);
  EXPECT_THAT(yaml, HasSubstr("\n      latencyBucketBoundsSeconds:\n        - 1e-06\n"
                              "        - 2e-06\n"))
      << yaml;
  EXPECT_THAT(yaml, HasSubstr("\n      latencySumSeconds: 0.1\n")) << yaml;
  EXPECT_THAT(yaml, HasSubstr("\n      completedPackets: 290\n")) << yaml;
  absl::StatusOr<std::string> json = FormatJson({&chain}, /*as_list=*/true);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"completedPackets\": \"290\""));
  for (const std::string& text : {yaml, *json}) {
    absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(text, "out");
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
    ASSERT_EQ(parsed->size(), 1u);
    EXPECT_EQ((*parsed)[0].chain().spec().SerializeAsString(), chain.spec().SerializeAsString());
  }
}

TEST(RenderTopTest, NothingYet) {
  TopSample before, now;
  now.at = before.at + absl::Seconds(1);
  EXPECT_EQ(RenderTop(before, now), "No ports.\n\nNo NF instances.\n\nNo chains.\n\nNo rules.\n");
}

// Two samples two seconds apart.
TEST(RenderTopTest, RatesAndIntervalLatencies) {
  TopSample before, now;
  before.at = absl::FromUnixSeconds(1000);
  now.at = before.at + absl::Seconds(2);

  before.ports.push_back(ParseText<v1::Port>(R"pb(
    metadata { name: "in" }
    status { link_up: true rx_packets: 1000 rx_bytes: 64000 })pb"));
  now.ports.push_back(ParseText<v1::Port>(R"pb(
    metadata { name: "in" }
    status { link_up: true rx_packets: 3000 rx_bytes: 192000 no_match_dropped: 10 })pb"));
  before.instances.push_back(ParseText<v1::Instance>(R"pb(
    metadata { name: "fwd-1" }
    spec { service: "fwd" }
    status { pid: 42 state: RUNNING rx_packets: 100 tx_packets: 100 })pb"));
  now.instances.push_back(ParseText<v1::Instance>(R"pb(
    metadata { name: "fwd-1" }
    spec { service: "fwd" }
    status { pid: 42 state: DRAINING rx_packets: 300 tx_packets: 300 })pb"));

  // web: 200 in and 190 completed over 2 s, all between 10 and 20 us.
  before.chains.push_back(MakeChain("web", 1, 100, 100, 6400, 100));
  now.chains.push_back(MakeChain("web", 1, 300, 290, 19200, 290));
  // idle: nothing moved, so no latency for the interval (though the
  // histogram since creation has some).
  before.chains.push_back(MakeChain("idle", 2, 50, 50, 3200, 50));
  now.chains.push_back(MakeChain("idle", 2, 50, 50, 3200, 50));
  // new: no earlier sample.
  now.chains.push_back(MakeChain("new", 3, 10, 10, 640, 10));
  // re: deleted and created again between the samples (another id).
  before.chains.push_back(MakeChain("re", 5, 500, 500, 32000, 500));
  now.chains.push_back(MakeChain("re", 6, 600, 600, 38400, 600));

  // r01..r11 gain 20 * i hits (10 * i per second); r00 ties with r11 and
  // comes first by name; a-new has the most hits but no earlier sample.
  before.rules.push_back(MakeRule("r00", 100, 5, /*drop=*/true));
  now.rules.push_back(MakeRule("r00", 100, 5 + 220, /*drop=*/true));
  for (int i = 1; i <= 11; ++i) {
    const std::string name = i < 10 ? absl::StrCat("r0", i) : absl::StrCat("r", i);
    before.rules.push_back(MakeRule(name, i, 0));
    now.rules.push_back(MakeRule(name, i, 20 * i));
  }
  now.rules.push_back(MakeRule("a-new", 50, 100000));

  EXPECT_EQ(RenderTop(before, now),
            "PORT   LINK   RX PPS   RX BPS   TX PPS   TX BPS   DROPS/S\n"
            "in     up     1000     512.0k   0        0        5\n"
            "\n"
            "INSTANCE   SERVICE   STATE      RX PPS   TX PPS   DROPS/S\n"
            "fwd-1      fwd       draining   100      100      0\n"
            "\n"
            "CHAIN   IN PPS   COMPLETED PPS   IN BPS   P50      P99\n"
            "idle    0        0               0        -        -\n"
            "new     -        -               -        -        -\n"
            "re      -        -               -        -        -\n"
            "web     100      95              51.2k    15.0us   19.9us\n"
            "\n"
            "RULE   ACTION      HITS/S   BPS\n"
            "r00    drop        110      88.0k\n"
            "r11    chain:web   110      88.0k\n"
            "r10    chain:web   100      80.0k\n"
            "r09    chain:web   90       72.0k\n"
            "r08    chain:web   80       64.0k\n"
            "r07    chain:web   70       56.0k\n"
            "r06    chain:web   60       48.0k\n"
            "r05    chain:web   50       40.0k\n"
            "r04    chain:web   40       32.0k\n"
            "r03    chain:web   30       24.0k\n"
            "(3 more rules)\n");
}

// The interval's own latency, not the one since creation: a chain that was
// slow before and fast during the interval shows fast.
TEST(RenderTopTest, LatencyIsOfTheInterval) {
  TopSample before, now;
  before.at = absl::FromUnixSeconds(1000);
  now.at = before.at + absl::Seconds(1);
  v1::Chain slow = MakeChain("web", 1, 1000, 1000, 64000, 0);
  slow.mutable_status()->set_latency_bucket_counts(10, 1000);  // 1 to 2 ms
  v1::Chain then_fast = slow;
  then_fast.mutable_status()->set_packets(1010);
  then_fast.mutable_status()->set_completed_packets(1010);
  then_fast.mutable_status()->set_latency_bucket_counts(0, 10);  // at most 1 us
  before.chains.push_back(slow);
  now.chains.push_back(then_fast);
  const std::string out = RenderTop(before, now);
  EXPECT_THAT(out,
              ::testing::HasSubstr("web     10       10              0        500ns   990ns\n"))
      << out;
}

}  // namespace
}  // namespace onvm::cli
