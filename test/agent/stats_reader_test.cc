#include "onvm/stats_reader.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/stats_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/agent/fake_stats.h"
#include "test/agent/test_util.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::UniqueEngine;

using ::onvm::agent::testing::FakeStatsSegment;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

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

TEST(StatsReaderTest, ReadsTheV2HeaderFields) {
  FakeStatsSegment fake(UniqueEngine());
  fake.AddRule(9, "web-in");
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const StatsHeader h = (*reader)->header();
  EXPECT_EQ(h.max_ports, uint32_t{ONVM_STATS_MAX_PORTS});
  EXPECT_EQ(h.max_instances, uint32_t{ONVM_STATS_MAX_INSTANCES});
  EXPECT_EQ(h.max_chains, uint32_t{ONVM_STATS_MAX_CHAINS});
  EXPECT_EQ(h.max_rules, uint32_t{ONVM_STATS_MAX_RULES});
  EXPECT_EQ(h.max_lcores, uint32_t{ONVM_STATS_MAX_LCORES});
  EXPECT_EQ(h.max_mempools, uint32_t{ONVM_STATS_MAX_MEMPOOLS});
  EXPECT_EQ(h.rule_slots_used, 10u);
  EXPECT_EQ(h.tsc_hz, FakeStatsSegment::kTscHz);
}

TEST(StatsReaderTest, ReadsInstanceControlThreadFields) {
  FakeStatsSegment fake(UniqueEngine());
  onvm_stats_instance& fw = fake.AddInstance(4, "fw", 2);
  fw.rx_ring_count = 31;
  fw.tx_ring_count = 7;
  fw.reclaimed = 96;
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<InstanceStats> instances = (*reader)->instances();
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].rx_ring_count, 31u);
  EXPECT_EQ(instances[0].tx_ring_count, 7u);
  EXPECT_EQ(instances[0].reclaimed, 96u);
}

TEST(StatsReaderTest, ReadsAnNfsOwnCountersInOrderAndNoMoreThanDeclared) {
  FakeStatsSegment fake(UniqueEngine());
  onvm_stats_instance& mon = fake.AddInstance(1, "mon", 2);
  std::strncpy(mon.custom_names[0], "tcp_packets", ONVM_STATS_CUSTOM_NAME_LEN - 1);
  std::strncpy(mon.custom_names[1], "udp_packets", ONVM_STATS_CUSTOM_NAME_LEN - 1);
  std::strncpy(mon.custom_names[2], "not_declared", ONVM_STATS_CUSTOM_NAME_LEN - 1);
  mon.custom[0] = 12;
  mon.custom[1] = 34;
  mon.custom[2] = 56;
  mon.custom_count = 2;
  // A count past the array (a corrupt slot) reads at most the array.
  onvm_stats_instance& bad = fake.AddInstance(2, "bad", 3);
  bad.custom_count = 1000;
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<InstanceStats> instances = (*reader)->instances();
  ASSERT_EQ(instances.size(), 2u);
  using Custom = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(instances[0].custom, (Custom{{"tcp_packets", 12}, {"udp_packets", 34}}));
  EXPECT_EQ(instances[1].custom.size(), size_t{ONVM_STATS_MAX_CUSTOM});
}

TEST(StatsReaderTest, ReadsChainsInUse) {
  FakeStatsSegment fake(UniqueEngine());
  onvm_stats_chain& web = fake.AddChain(2, "web", 11);
  web.packets = 100;
  web.bytes = 6400;
  web.completed = 98;
  for (int b = 0; b < ONVM_STATS_LATENCY_BUCKETS; ++b) web.latency_buckets[b] = b;
  web.latency_sum_ns = 123456;
  fake.AddChain(3, "mid-update", 12).generation += 1;  // odd: being rewritten
  fake.AddChain(4, "released", 13).in_use = 0;
  // The last slot: the scan covers the whole array.
  fake.AddChain(ONVM_STATS_MAX_CHAINS - 1, "last", 14).packets = 1;

  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<ChainStats> chains = (*reader)->chains();
  ASSERT_EQ(chains.size(), 2u);
  const ChainStats& c = chains[0];
  EXPECT_EQ(c.slot, 2u);
  EXPECT_EQ(c.generation, 2u);
  EXPECT_EQ(c.chain_id, 11u);
  EXPECT_EQ(c.name, "web");
  EXPECT_EQ(c.packets, 100u);
  EXPECT_EQ(c.bytes, 6400u);
  EXPECT_EQ(c.completed, 98u);
  for (int b = 0; b < ONVM_STATS_LATENCY_BUCKETS; ++b) {
    EXPECT_EQ(c.latency_buckets[b], static_cast<uint64_t>(b)) << "bucket " << b;
  }
  EXPECT_EQ(c.latency_sum_ns, 123456u);
  EXPECT_EQ(chains[1].slot, uint32_t{ONVM_STATS_MAX_CHAINS - 1});
  EXPECT_EQ(chains[1].name, "last");
}

TEST(StatsReaderTest, ReadsRulesBelowRuleSlotsUsed) {
  FakeStatsSegment fake(UniqueEngine());
  onvm_stats_rule& web_in = fake.AddRule(0, "web-in");
  web_in.packets = 5;
  web_in.bytes = 320;
  fake.AddRule(1, "mid-update").generation += 1;  // odd: being rewritten
  fake.AddRule(2, "released").in_use = 0;
  fake.AddRule(3, "ssh-in").packets = 2;
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT((*reader)->rules(),
              ElementsAre(AllOf(Field(&RuleStats::slot, 0u), Field(&RuleStats::name, "web-in"),
                                Field(&RuleStats::packets, 5u), Field(&RuleStats::bytes, 320u)),
                          AllOf(Field(&RuleStats::slot, 3u), Field(&RuleStats::name, "ssh-in"),
                                Field(&RuleStats::packets, 2u))));

  // A slot at or above rule_slots_used is not looked at, even if it looks
  // in use (the engine raises the mark before it publishes the rule).
  fake.segment()->header.rule_slots_used = 1;
  EXPECT_THAT((*reader)->rules(), ElementsAre(Field(&RuleStats::name, "web-in")));
  fake.segment()->header.rule_slots_used = 0;
  EXPECT_THAT((*reader)->rules(), ::testing::IsEmpty());
}

TEST(StatsReaderTest, ClampsRuleSlotsUsedToTheArray) {
  FakeStatsSegment fake(UniqueEngine());
  fake.AddRule(0, "first");
  fake.AddRule(ONVM_STATS_MAX_RULES - 1, "last");
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  // A corrupt mark far past the array: the scan stops at its end (ASan
  // would see a read past the mapping otherwise).
  fake.segment()->header.rule_slots_used = 0xffffffffu;
  EXPECT_EQ((*reader)->header().rule_slots_used, 0xffffffffu);
  EXPECT_THAT((*reader)->rules(),
              ElementsAre(Field(&RuleStats::name, "first"), Field(&RuleStats::name, "last")));
}

TEST(StatsReaderTest, RuleScanStopsAtTheEnginesMaxRules) {
  FakeStatsSegment fake(UniqueEngine());
  fake.AddRule(0, "first");
  fake.AddRule(8, "beyond");
  fake.segment()->header.max_rules = 8;  // an engine with fewer rule slots
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->header().max_rules, 8u);
  EXPECT_THAT((*reader)->rules(), ElementsAre(Field(&RuleStats::name, "first")));
}

TEST(StatsReaderTest, ReadsLcores) {
  FakeStatsSegment fake(UniqueEngine());
  fake.AddLcore(0, 0, ONVM_LCORE_CONTROL);
  onvm_stats_lcore& worker = fake.AddLcore(1, 2, ONVM_LCORE_WORKER, 1);
  worker.busy_cycles = 300;
  worker.total_cycles = 1000;
  fake.AddLcore(2, 3, ONVM_LCORE_RX).generation += 1;  // odd: being rewritten
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<LcoreStats> lcores = (*reader)->lcores();
  ASSERT_EQ(lcores.size(), 2u);
  EXPECT_EQ(lcores[0].role, uint32_t{ONVM_LCORE_CONTROL});
  EXPECT_EQ(lcores[1].slot, 1u);
  EXPECT_EQ(lcores[1].lcore_id, 2u);
  EXPECT_EQ(lcores[1].role, uint32_t{ONVM_LCORE_WORKER});
  EXPECT_EQ(lcores[1].socket, 1);
  EXPECT_EQ(lcores[1].cpu, 2u);
  EXPECT_EQ(lcores[1].busy_cycles, 300u);
  EXPECT_EQ(lcores[1].total_cycles, 1000u);
}

TEST(StatsReaderTest, LcoreRoleNames) {
  EXPECT_STREQ(LcoreRoleName(ONVM_LCORE_CONTROL), "control");
  EXPECT_STREQ(LcoreRoleName(ONVM_LCORE_WORKER), "worker");
  EXPECT_STREQ(LcoreRoleName(ONVM_LCORE_RX), "rx");
  EXPECT_STREQ(LcoreRoleName(ONVM_LCORE_TX), "tx");
  EXPECT_EQ(LcoreRoleName(ONVM_LCORE_NONE), nullptr);
  EXPECT_EQ(LcoreRoleName(77), nullptr);
}

TEST(StatsReaderTest, ReadsMempools) {
  FakeStatsSegment fake(UniqueEngine());
  fake.AddMempool(0, "mbuf_pool_0", 0, 8191).mbufs_in_use = 1500;
  fake.AddMempool(1, "mbuf_pool_1", 1, 4095).generation += 1;  // odd: being rewritten
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<MempoolStats> pools = (*reader)->mempools();
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].name, "mbuf_pool_0");
  EXPECT_EQ(pools[0].socket, 0);
  EXPECT_EQ(pools[0].size, 8191u);
  EXPECT_EQ(pools[0].cache_size, 256u);
  EXPECT_EQ(pools[0].mbufs_in_use, 1500u);
}

// A writer rewrites a chain slot over and over (new name, counters and
// histogram that agree with each other) while the reader copies it: every
// copy the reader returns is one whole version. The stores are atomic so
// that ThreadSanitizer (scripts/sanitize.sh thread) checks the reader's
// acquire discipline, not the fake; release stores keep the odd generation
// before the data stores as the engine's release fence does.
TEST(StatsReaderTest, ConcurrentRewritesAreNeverMixed) {
  FakeStatsSegment fake(UniqueEngine());
  onvm_stats_chain& slot = fake.AddChain(0, "v0", 0);
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  ASSERT_TRUE(reader.ok()) << reader.status();

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    uint64_t generation = __atomic_load_n(&slot.generation, __ATOMIC_RELAXED);
    for (uint64_t v = 1; !stop.load(std::memory_order_relaxed); ++v) {
      __atomic_store_n(&slot.generation, ++generation, __ATOMIC_RELEASE);  // odd
      char name[ONVM_STATS_NAME_LEN] = {};
      const std::string text = absl::StrCat("v", v);
      std::memcpy(name, text.data(), text.size());
      for (size_t i = 0; i < sizeof(name); ++i) {
        __atomic_store_n(&slot.name[i], name[i], __ATOMIC_RELEASE);
      }
      __atomic_store_n(&slot.chain_id, static_cast<uint32_t>(v), __ATOMIC_RELEASE);
      __atomic_store_n(&slot.packets, v, __ATOMIC_RELEASE);
      __atomic_store_n(&slot.bytes, 64 * v, __ATOMIC_RELEASE);
      for (uint64_t& b : slot.latency_buckets) __atomic_store_n(&b, v, __ATOMIC_RELEASE);
      __atomic_store_n(&slot.latency_sum_ns, 1000 * v, __ATOMIC_RELEASE);
      __atomic_store_n(&slot.generation, ++generation, __ATOMIC_RELEASE);  // even
      // Leaves the reader whole windows too (under TSan a writer that never
      // pauses would have it skip the slot every time); most reads still
      // overlap a rewrite.
      if (v % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(10));
    }
  });

  int copies = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const ChainStats& c : (*reader)->chains()) {
      ++copies;
      const uint64_t v = c.packets;
      ASSERT_EQ(c.generation % 2, 0u);
      ASSERT_EQ(c.name, absl::StrCat("v", v));
      ASSERT_EQ(c.chain_id, v);
      ASSERT_EQ(c.bytes, 64 * v);
      for (uint64_t b : c.latency_buckets) ASSERT_EQ(b, v);
      ASSERT_EQ(c.latency_sum_ns, 1000 * v);
    }
  }
  stop = true;
  writer.join();
  EXPECT_GT(copies, 0);
}

TEST(StatsReaderTest, RejectsAV1Segment) {
  // What a layout-1 engine creates: the same 256-byte header, then 32 port
  // slots (192 bytes) and 128 instance slots (128 bytes), nothing else.
  constexpr size_t kV1Size = 256 + 32 * 192 + 128 * 128;
  static_assert(sizeof(onvm_stats_header) == 256, "the header kept its size in layout 2");
  FakeStatsSegment fake(UniqueEngine(), "boot-1", kV1Size);
  onvm_stats_header& h = fake.segment()->header;
  h.layout_version = 1;
  h.total_size = kV1Size;
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(reader.status().message()),
              HasSubstr(absl::StrCat("has layout version 1 but this program reads layout version ",
                                     ONVM_STATS_LAYOUT_VERSION)));
}

TEST(StatsReaderTest, RejectsASegmentOfAnotherSizeNamingTheField) {
  FakeStatsSegment fake(UniqueEngine());
  onvm_stats_header& h = fake.segment()->header;
  h.total_size = sizeof(onvm_stats_segment) - 64;
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(reader.status().message()),
              HasSubstr(absl::StrCat("total_size ", sizeof(onvm_stats_segment) - 64,
                                     " (this build: ", sizeof(onvm_stats_segment), ")")));

  h.total_size = sizeof(onvm_stats_segment);
  h.max_chains = ONVM_STATS_MAX_CHAINS + 1;
  h.max_mempools = 99;
  reader = StatsReader::Open(fake.paths());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(reader.status().message()),
              AllOf(HasSubstr(absl::StrCat("max_chains ", ONVM_STATS_MAX_CHAINS + 1,
                                           " (this build holds ", ONVM_STATS_MAX_CHAINS, ")")),
                    HasSubstr("max_mempools 99")));

  h.max_chains = ONVM_STATS_MAX_CHAINS;
  h.max_mempools = ONVM_STATS_MAX_MEMPOOLS;
  h.header_size = 192;
  reader = StatsReader::Open(fake.paths());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(reader.status().message()), HasSubstr("header_size 192"));
}

TEST(StatsReaderTest, RejectsAnObjectSmallerThanItsHeaderSays) {
  // Right version and sizes in the header, but the object is short: reading
  // the last arrays would fault.
  FakeStatsSegment fake(UniqueEngine(), "boot-1", sizeof(onvm_stats_segment) - 4096);
  absl::StatusOr<std::unique_ptr<StatsReader>> reader = StatsReader::Open(fake.paths());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      std::string(reader.status().message()),
      HasSubstr(absl::StrCat("total_size ", sizeof(onvm_stats_segment), " but the object has ",
                             sizeof(onvm_stats_segment) - 4096, " bytes")));
}

TEST(StatsReaderTest, SegmentBeingCreatedIsUnavailable) {
  FakeStatsSegment empty(UniqueEngine(), "boot-1", 0);  // created, not sized yet
  EXPECT_EQ(StatsReader::Open(empty.paths()).status().code(), absl::StatusCode::kUnavailable);
  FakeStatsSegment sized(UniqueEngine());
  sized.segment()->header.magic = 0;  // sized, header not written yet
  EXPECT_EQ(StatsReader::Open(sized.paths()).status().code(), absl::StatusCode::kUnavailable);
}
}  // namespace
}  // namespace onvm::agent
