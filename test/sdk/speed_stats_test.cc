// The speed tester's frame and latency histogram (no engine needed).
#include "speed_stats.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "onvm/packet_key.h"

namespace onvm::examples {
namespace {

TEST(SpeedTesterFrame, IsAValidIpv4UdpFrameCarryingTheMagic) {
  for (uint16_t size : {uint16_t{60}, uint16_t{128}, uint16_t{1514}}) {
    std::vector<uint8_t> buf(size, 0xee);
    BuildFrame(buf.data(), size, SpeedTesterMagic(7));
    PacketKey key;
    ParsePacket(buf.data(), buf.size(), &key);
    EXPECT_FALSE(key.malformed) << size;
    EXPECT_EQ(key.ip_version, 4);
    EXPECT_EQ(key.ip_proto, kIpProtoUdp);
    EXPECT_EQ(key.src_port, kBaseSourcePort);
    EXPECT_EQ(key.dst_port, 9);
    EXPECT_EQ((buf[16] << 8) | buf[17], size - 14);  // IPv4 total length
    // The header checksum verifies (sums to 0xffff).
    uint32_t sum = 0;
    for (int i = 14; i < 34; i += 2) sum += (buf[i] << 8) | buf[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    EXPECT_EQ(sum, 0xffffu);
    uint64_t magic;
    std::memcpy(&magic, buf.data() + kMagicOffset, sizeof(magic));
    EXPECT_EQ(magic, SpeedTesterMagic(7));
    EXPECT_EQ(buf[size - 1], 0);  // no stale bytes
  }
  EXPECT_LE(kTimestampOffset + 8, kMinFrameSize);
  EXPECT_NE(SpeedTesterMagic(1), SpeedTesterMagic(2));
}

TEST(LatencyHistogram, BucketsAreContiguousAndWithinOneSixteenth) {
  int previous = -1;
  for (uint64_t v = 0; v < 100000; ++v) {
    const int b = LatencyHistogram::Bucket(v);
    ASSERT_TRUE(b == previous || b == previous + 1) << v;
    ASSERT_GE(LatencyHistogram::BucketUpper(b), v);
    ASSERT_LE(LatencyHistogram::BucketUpper(b) - v, v / 16) << v;
    previous = b;
  }
  EXPECT_LT(LatencyHistogram::Bucket(UINT64_MAX), LatencyHistogram::kBuckets);
  EXPECT_EQ(LatencyHistogram::BucketUpper(LatencyHistogram::Bucket(UINT64_MAX)), UINT64_MAX);
}

TEST(LatencyHistogram, ReportsMinMeanPercentilesAndMax) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), 0u);
  EXPECT_EQ(DescribeLatency(h), "latency: no samples");
  for (uint64_t v = 1; v <= 1000; ++v) h.Add(v * 100);  // 100 ns .. 100 us
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.min(), 100u);
  EXPECT_EQ(h.max(), 100000u);
  EXPECT_EQ(h.mean(), 50050u);
  const uint64_t p50 = h.Percentile(0.5);
  const uint64_t p99 = h.Percentile(0.99);
  EXPECT_GE(p50, 50000u);
  EXPECT_LE(p50, 50000u + 50000u / 16);
  EXPECT_GE(p99, 99000u);
  EXPECT_LE(p99, 100000u);  // clamped to the largest sample
  EXPECT_EQ(h.Percentile(1.0), 100000u);
  EXPECT_EQ(h.Percentile(0), 100u);
  EXPECT_EQ(DescribeLatency(h), "latency ns: min 100 avg 50050 p50 " + std::to_string(p50) +
                                    " p99 " + std::to_string(p99) + " max 100000");
}

TEST(LatencyHistogram, MergeEqualsAddingEverything) {
  std::mt19937_64 rng(1);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = rng() % 1000000;
    (i % 3 == 0 ? a : b).Add(v);
    all.Add(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999}) EXPECT_EQ(a.Percentile(q), all.Percentile(q));
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.max(), 0u);
}

}  // namespace
}  // namespace onvm::examples
