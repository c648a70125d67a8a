#include "onvm/stats_reader.h"

#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "agent/metrics_collector.h"
#include "agent/stats_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "test/agent/fake_stats.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::FakeStatsSegment;
using ::testing::HasSubstr;
using ::testing::Not;

std::string UniqueEngine() {
  static int n = 0;
  return absl::StrCat("agenttest-", getpid(), "-", ++n);
}

TEST(StatsReaderTest, MissingSegmentIsNotFound) {
  absl::StatusOr<std::unique_ptr<StatsReader>> reader =
      StatsReader::Open(PathsForEngine(UniqueEngine()));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
}

TEST(StatsReaderTest, ReadsHeaderPortsAndInstances) {
  FakeStatsSegment fake(UniqueEngine());
  onvm_stats_port& wan = fake.AddPort(3, "wan", 0);
  wan.rx_packets = 10;
  wan.rx_bytes = 640;
  wan.no_match_dropped = 2;
  onvm_stats_instance& fw = fake.AddInstance(5, "fw", 7);
  fw.rx_packets = 9;
  fw.dropped_by_handler = 1;

  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->header().boot_id, "boot-1");
  EXPECT_TRUE((*reader)->EngineAlive());
  EXPECT_FALSE((*reader)->Replaced());

  std::vector<PortStats> ports = (*reader)->ports();
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0].slot, 3u);
  EXPECT_EQ(ports[0].name, "wan");
  EXPECT_EQ(ports[0].rx_packets, 10u);
  EXPECT_EQ(ports[0].rx_bytes, 640u);
  EXPECT_EQ(ports[0].no_match_dropped, 2u);

  std::vector<InstanceStats> instances = (*reader)->instances();
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].slot, 5u);
  EXPECT_EQ(instances[0].service, "fw");
  EXPECT_EQ(instances[0].instance_id, 7u);
  EXPECT_EQ(instances[0].rx_packets, 9u);
  EXPECT_EQ(instances[0].dropped_by_handler, 1u);
}

TEST(StatsReaderTest, SkipsSlotsBeingRewritten) {
  FakeStatsSegment fake(UniqueEngine());
  fake.AddInstance(0, "fw", 1);
  fake.AddInstance(1, "fw", 2).generation += 1;  // odd: mid-update
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok());
  std::vector<InstanceStats> instances = (*reader)->instances();
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].instance_id, 1u);
}

TEST(StatsReaderTest, StaleHeartbeatMeansNotAlive) {
  FakeStatsSegment fake(UniqueEngine());
  fake.Beat(FakeStatsSegment::NowNs() - 10'000'000'000);
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->EngineAlive());
  fake.Beat();
  EXPECT_TRUE((*reader)->EngineAlive());
}

TEST(StatsReaderTest, RejectsForeignLayout) {
  FakeStatsSegment fake(UniqueEngine());
  fake.segment()->header.layout_version = 99;
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(reader.status().message()), HasSubstr("layout version 99"));
  fake.segment()->header.layout_version = ONVM_STATS_LAYOUT_VERSION;
  fake.segment()->header.magic = 0x1234;
  EXPECT_EQ(StatsReader::Open(fake.paths()).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(StatsReaderTest, NoticesARestartedEngine) {
  const std::string engine = UniqueEngine();
  auto first = std::make_unique<FakeStatsSegment>(engine, "boot-1");
  StatsSource source(PathsForEngine(engine));
  std::shared_ptr<const StatsReader> reader = source.Get();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(source.Get(), reader);  // unchanged: same mapping

  first->Unlink();
  EXPECT_TRUE(reader->Replaced());
  EXPECT_EQ(source.Get(), nullptr);
  first.reset();

  FakeStatsSegment second(engine, "boot-2");
  std::shared_ptr<const StatsReader> again = source.Get();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->header().boot_id, "boot-2");
}

std::string Scrape(const MetricsCollector& collector) {
  return prometheus::TextSerializer().Serialize(collector.Collect());
}

TEST(MetricsCollectorTest, ExportsPortAndInstanceCounters) {
  FakeStatsSegment fake(UniqueEngine());
  onvm_stats_port& wan = fake.AddPort(0, "wan", 0);
  wan.rx_packets = 10;
  wan.tx_dropped = 4;
  onvm_stats_instance& fw = fake.AddInstance(2, "fw", 3);
  fw.dropped_ring_full = 5;
  StatsSource source(fake.paths());
  MetricsCollector collector(&source);

  const std::string text = Scrape(collector);
  EXPECT_THAT(text, HasSubstr("onvm_engine_up 1"));
  EXPECT_THAT(text, HasSubstr("# TYPE onvm_port_rx_packets_total counter"));
  EXPECT_THAT(text, HasSubstr("# HELP onvm_port_rx_packets_total "));
  EXPECT_THAT(text, HasSubstr("onvm_port_rx_packets_total{port=\"wan\"} 10"));
  EXPECT_THAT(text,
              HasSubstr("onvm_port_dropped_packets_total{port=\"wan\",reason=\"tx_full\"} 4"));
  EXPECT_THAT(text,
              HasSubstr("onvm_port_dropped_packets_total{port=\"wan\",reason=\"no_match\"} 0"));
  EXPECT_THAT(text, HasSubstr("onvm_nf_dropped_packets_total{service=\"fw\",instance=\"3\","
                              "reason=\"ring_full\"} 5"));
  EXPECT_THAT(text, HasSubstr("onvm_nf_rx_packets_total{service=\"fw\",instance=\"3\"} 0"));

  // A gone instance leaves no series behind.
  fake.segment()->instances[2].state = ONVM_STATS_INSTANCE_FREE;
  EXPECT_THAT(Scrape(collector), Not(HasSubstr("service=\"fw\"")));
}

TEST(MetricsCollectorTest, EngineDownWithoutSegment) {
  StatsSource source(PathsForEngine(UniqueEngine()));
  MetricsCollector collector(&source);
  const std::string text = Scrape(collector);
  EXPECT_THAT(text, HasSubstr("onvm_engine_up 0"));
  EXPECT_THAT(text, Not(HasSubstr("onvm_port_")));
}

}  // namespace
}  // namespace onvm::agent
