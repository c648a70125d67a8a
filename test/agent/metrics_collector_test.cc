// /metrics as the agent serves it (prometheus-cpp's text format), built
// from a fake stats segment.
#include "agent/metrics_collector.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/stats_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "test/agent/fake_stats.h"
#include "test/agent/test_util.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::UniqueEngine;

using ::onvm::agent::testing::FakeStatsSegment;
using ::onvm::agent::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Scrape(const MetricsCollector& collector) {
  return prometheus::TextSerializer().Serialize(collector.Collect());
}

// The sample lines of `text` whose series name is `name` (labels and value
// kept), in the order they appear.
std::vector<std::string> Samples(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, absl::StrCat(name, "{")) ||
        absl::StartsWith(line, absl::StrCat(name, " "))) {
      out.emplace_back(line);
    }
  }
  return out;
}

// A segment with one of everything the collector exports.
void Populate(FakeStatsSegment& fake) {
  onvm_stats_port& wan = fake.AddPort(0, "wan", 0);
  wan.rx_packets = 10;
  onvm_stats_instance& fw = fake.AddInstance(2, "fw", 3);
  fw.rx_ring_count = 17;
  fw.tx_ring_count = 4;
  fw.reclaimed = 32;
  std::strncpy(fw.custom_names[0], "allowed", ONVM_STATS_CUSTOM_NAME_LEN - 1);
  fw.custom[0] = 77;
  fw.custom_count = 1;
  onvm_stats_chain& web = fake.AddChain(1, "web", 1);
  web.packets = 12;
  web.bytes = 768;
  web.completed = 11;
  web.latency_buckets[0] = 1;   // <= 1us
  web.latency_buckets[2] = 3;   // (2us, 5us]
  web.latency_buckets[9] = 5;   // (500us, 1ms]
  web.latency_buckets[14] = 2;  // > 100ms
  web.latency_sum_ns = 250'000'000;
  onvm_stats_rule& rule = fake.AddRule(0, "web-in");
  rule.packets = 12;
  rule.bytes = 768;
  onvm_stats_lcore& worker = fake.AddLcore(0, 1, ONVM_LCORE_WORKER);
  worker.busy_cycles = FakeStatsSegment::kTscHz / 2;  // 0.5 s
  worker.total_cycles = 3 * FakeStatsSegment::kTscHz;
  fake.AddLcore(1, 0, ONVM_LCORE_CONTROL);
  fake.AddMempool(0, "onvm_pool_0", 0, 8191).mbufs_in_use = 1500;
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

TEST(MetricsCollectorTest, ExportsBuildInfoAndBothGenerations) {
  StatsSource source(PathsForEngine(UniqueEngine()));
  std::optional<uint64_t> applied;
  MetricsCollector collector(&source, {.desired_generation = [] { return uint64_t{7}; },
                                       .applied_generation = [&] { return applied; }});
  std::string text = Scrape(collector);
  EXPECT_THAT(text, HasSubstr("onvm_build_info{version=\""));
  EXPECT_THAT(text, HasSubstr("onvm_config_generation 7"));
  // No engine: nothing it could have applied.
  EXPECT_THAT(text, Not(HasSubstr("onvm_config_applied_generation")));
  applied = 6;
  text = Scrape(collector);
  EXPECT_THAT(text, HasSubstr("onvm_config_applied_generation 6"));
  EXPECT_THAT(text, Not(HasSubstr("onvm_replica_")));  // no supervisor
}

TEST(MetricsCollectorTest, EngineDownWithoutSegment) {
  StatsSource source(PathsForEngine(UniqueEngine()));
  MetricsCollector collector(&source);
  const std::string text = Scrape(collector);
  EXPECT_THAT(text, HasSubstr("onvm_engine_up 0"));
  EXPECT_THAT(text, Not(HasSubstr("onvm_port_")));
  EXPECT_THAT(text, Not(HasSubstr("onvm_chain_")));
  EXPECT_THAT(text, Not(HasSubstr("onvm_lcore_")));
}

TEST(MetricsCollectorTest, ExportsChainRuleLcoreMempoolAndRingMetrics) {
  FakeStatsSegment fake(UniqueEngine());
  Populate(fake);
  StatsSource source(fake.paths());
  MetricsCollector collector(&source);
  const std::string text = Scrape(collector);

  EXPECT_THAT(text, HasSubstr("# TYPE onvm_chain_packets_total counter"));
  EXPECT_THAT(text, HasSubstr("onvm_chain_packets_total{chain=\"web\"} 12\n"));
  EXPECT_THAT(text, HasSubstr("onvm_chain_bytes_total{chain=\"web\"} 768\n"));
  EXPECT_THAT(text, HasSubstr("onvm_chain_completed_packets_total{chain=\"web\"} 11\n"));

  EXPECT_THAT(text, HasSubstr("# TYPE onvm_rule_hits_total counter"));
  EXPECT_THAT(text, HasSubstr("onvm_rule_hits_total{rule=\"web-in\"} 12\n"));
  EXPECT_THAT(text, HasSubstr("onvm_rule_bytes_total{rule=\"web-in\"} 768\n"));

  EXPECT_THAT(text, HasSubstr("# TYPE onvm_lcore_busy_seconds_total counter"));
  EXPECT_THAT(text, HasSubstr("onvm_lcore_busy_seconds_total{lcore=\"1\",role=\"worker\"} 0.5\n"));
  EXPECT_THAT(text, HasSubstr("onvm_lcore_seconds_total{lcore=\"1\",role=\"worker\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("onvm_lcore_seconds_total{lcore=\"0\",role=\"control\"} 0\n"));

  EXPECT_THAT(text, HasSubstr("# TYPE onvm_mempool_mbufs_in_use gauge"));
  EXPECT_THAT(text,
              HasSubstr("onvm_mempool_mbufs_in_use{mempool=\"onvm_pool_0\",socket=\"0\"} 1500\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE onvm_mempool_mbufs gauge"));
  EXPECT_THAT(text, HasSubstr("onvm_mempool_mbufs{mempool=\"onvm_pool_0\",socket=\"0\"} 8191\n"));

  EXPECT_THAT(text, HasSubstr("# TYPE onvm_nf_custom_total counter"));
  EXPECT_THAT(
      text, HasSubstr("onvm_nf_custom_total{service=\"fw\",instance=\"3\",name=\"allowed\"} 77\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE onvm_nf_ring_packets gauge"));
  EXPECT_THAT(text,
              HasSubstr("onvm_nf_ring_packets{service=\"fw\",instance=\"3\",ring=\"rx\"} 17\n"));
  EXPECT_THAT(text,
              HasSubstr("onvm_nf_ring_packets{service=\"fw\",instance=\"3\",ring=\"tx\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE onvm_nf_reclaimed_mbufs_total counter"));
  EXPECT_THAT(text, HasSubstr("onvm_nf_reclaimed_mbufs_total{service=\"fw\",instance=\"3\"} 32\n"));
}

TEST(MetricsCollectorTest, ChainLatencyIsACumulativeHistogramInSeconds) {
  FakeStatsSegment fake(UniqueEngine());
  Populate(fake);
  StatsSource source(fake.paths());
  MetricsCollector collector(&source);
  const std::string text = Scrape(collector);

  EXPECT_THAT(text, HasSubstr("# TYPE onvm_chain_latency_seconds histogram"));
  // Per-bucket counts 1 (<=1us), 3 (<=5us), 5 (<=1ms), 2 (+Inf) summed up
  // bucket by bucket; +Inf and _count are all 11 samples.
  EXPECT_THAT(Samples(text, "onvm_chain_latency_seconds_bucket"),
              ElementsAre("onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"1e-06\"} 1",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"2e-06\"} 1",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"5e-06\"} 4",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"1e-05\"} 4",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"2e-05\"} 4",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"5e-05\"} 4",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"0.0001\"} 4",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"0.0002\"} 4",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"0.0005\"} 4",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"0.001\"} 9",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"0.002\"} 9",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"0.005\"} 9",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"0.01\"} 9",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"0.1\"} 9",
                          "onvm_chain_latency_seconds_bucket{chain=\"web\",le=\"+Inf\"} 11"));
  EXPECT_THAT(Samples(text, "onvm_chain_latency_seconds_count"),
              ElementsAre("onvm_chain_latency_seconds_count{chain=\"web\"} 11"));
  EXPECT_THAT(Samples(text, "onvm_chain_latency_seconds_sum"),
              ElementsAre("onvm_chain_latency_seconds_sum{chain=\"web\"} 0.25"));

  // The same from the families themselves: bounds are the layout's, in
  // seconds, and counts never decrease.
  for (const prometheus::MetricFamily& f : collector.Collect()) {
    if (f.name != "onvm_chain_latency_seconds") continue;
    ASSERT_EQ(f.metric.size(), 1u);
    const prometheus::ClientMetric::Histogram& h = f.metric[0].histogram;
    ASSERT_EQ(h.bucket.size(), std::size(kLatencyBoundsNs));
    uint64_t previous = 0;
    for (size_t b = 0; b < h.bucket.size(); ++b) {
      EXPECT_DOUBLE_EQ(h.bucket[b].upper_bound, static_cast<double>(kLatencyBoundsNs[b]) * 1e-9);
      EXPECT_GE(h.bucket[b].cumulative_count, previous);
      previous = h.bucket[b].cumulative_count;
    }
    EXPECT_GE(h.sample_count, previous);
  }
}

TEST(MetricsCollectorTest, GoneChainsAndRulesLeaveNoSeries) {
  FakeStatsSegment fake(UniqueEngine());
  Populate(fake);
  StatsSource source(fake.paths());
  MetricsCollector collector(&source);
  ASSERT_THAT(Scrape(collector), HasSubstr("chain=\"web\""));
  fake.segment()->chains[1].in_use = 0;
  fake.segment()->rules[0].in_use = 0;
  const std::string text = Scrape(collector);
  EXPECT_THAT(text, Not(HasSubstr("onvm_chain_")));
  EXPECT_THAT(text, Not(HasSubstr("onvm_rule_")));
}

TEST(MetricsCollectorTest, NoLcoreTimesWithoutTscFrequency) {
  FakeStatsSegment fake(UniqueEngine());
  Populate(fake);
  fake.segment()->header.tsc_hz = 0;
  StatsSource source(fake.paths());
  MetricsCollector collector(&source);
  const std::string text = Scrape(collector);
  EXPECT_THAT(text, Not(HasSubstr("onvm_lcore_")));
  EXPECT_THAT(text, HasSubstr("onvm_chain_packets_total"));  // the rest is there
}

TEST(MetricsCollectorTest, UnknownLcoreRoleGetsABoundedLabel) {
  FakeStatsSegment fake(UniqueEngine());
  fake.AddLcore(0, 4, static_cast<onvm_stats_lcore_role>(42));
  StatsSource source(fake.paths());
  MetricsCollector collector(&source);
  EXPECT_THAT(Scrape(collector),
              HasSubstr("onvm_lcore_seconds_total{lcore=\"4\",role=\"unknown\"} 0\n"));
}

// Where promtool is, if anywhere: the Debian package prometheus.
std::string FindPromtool() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = absl::StrCat(dir, "/promtool");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

TEST(MetricsCollectorTest, FullScrapePassesPromtoolCheckMetrics) {
  const std::string promtool = FindPromtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  FakeStatsSegment fake(UniqueEngine());
  Populate(fake);
  StatsSource source(fake.paths());
  MetricsCollector collector(&source, {.desired_generation = [] { return uint64_t{3}; },
                                       .applied_generation = [] { return uint64_t{3}; }});
  const std::string text = Scrape(collector);
  ASSERT_THAT(text, HasSubstr("onvm_build_info"));

  TempDir tmp;
  const std::string scrape = absl::StrCat(tmp.path(), "/scrape.txt");
  std::ofstream(scrape) << text;
  const std::string command = absl::StrCat(promtool, " check metrics < ", scrape, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "promtool check metrics failed:\n"
                                                             << output << "\non:\n"
                                                             << text;
}

}  // namespace
}  // namespace onvm::agent
