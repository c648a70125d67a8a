// The parts of onvm-nf-speed_tester that need no engine, unit-tested in
// test/sdk: the frame it sends and the latency histogram it keeps.
#ifndef ONVM_SDK_EXAMPLES_SPEED_TESTER_SPEED_STATS_H_
#define ONVM_SDK_EXAMPLES_SPEED_TESTER_SPEED_STATS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace onvm::examples {

// The frame: Ethernet (02:00:00:00:00:01 -> 02:00:00:00:00:02), IPv4
// (10.0.0.1 -> 10.0.0.2, TTL 64, header checksum set), UDP (source port
// kBaseSourcePort + flow, destination port 9 "discard", checksum 0), then a
// payload of kMagicOffset: an 8-byte magic and kTimestampOffset: the 8-byte
// TSC at which it was sent, both in host byte order, then zeros.
inline constexpr uint16_t kMinFrameSize = 60;  // 64 on the wire, with the FCS
inline constexpr uint16_t kMaxFrameSize = 9000;
inline constexpr size_t kUdpSourcePortOffset = 14 + 20;
inline constexpr size_t kMagicOffset = 14 + 20 + 8;
inline constexpr size_t kTimestampOffset = kMagicOffset + 8;
inline constexpr uint16_t kBaseSourcePort = 1024;
inline constexpr uint32_t kMaxFlows = 65536 - kBaseSourcePort;

// Writes the frame of `size` bytes (kMinFrameSize..kMaxFrameSize) for flow 0
// with magic `magic` and timestamp 0 into `buf`.
void BuildFrame(uint8_t* buf, uint16_t size, uint64_t magic);

// The magic a speed tester instance marks its packets with, so that it
// recognises its own when they come back.
inline uint64_t SpeedTesterMagic(uint32_t instance_id) {
  return 0x6f6e766d53540000ULL ^ (uint64_t{instance_id} << 1) ^ 1;  // "onvmST.."
}

// A latency histogram for the packet path: fixed memory, no allocation,
// O(1) per sample. Values (nanoseconds) below 32 are kept exactly; above,
// each power of two is split into 16 buckets, so a percentile is within
// 1/16 (6.25 %) of the true value. Reported percentiles are the upper edge
// of their bucket, clamped to the largest sample.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 4;
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;

  void Add(uint64_t ns) {
    ++buckets_[Bucket(ns)];
    ++count_;
    sum_ += ns;
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }
  void Merge(const LatencyHistogram& other);
  void Reset() { *this = LatencyHistogram(); }

  uint64_t count() const { return count_; }
  uint64_t sum() const { return sum_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  uint64_t mean() const { return count_ == 0 ? 0 : sum_ / count_; }
  // The smallest bucket edge at or below which a fraction q (0..1] of the
  // samples lie; 0 when there is none.
  uint64_t Percentile(double q) const;

  static int Bucket(uint64_t ns) {
    if (ns < (uint64_t{2} << kSubBits)) return static_cast<int>(ns);
    const int msb = 63 - __builtin_clzll(ns);
    const int shift = msb - kSubBits;
    return ((shift + 1) << kSubBits) + static_cast<int>((ns >> shift) & ((1u << kSubBits) - 1));
  }
  // The largest value that falls into bucket `b`.
  static uint64_t BucketUpper(int b);

 private:
  std::array<uint64_t, kBuckets> buckets_ = {};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

// "min 2100 avg 5300 p50 4800 p99 12000 max 20000 ns", or "no samples".
std::string DescribeLatency(const LatencyHistogram& h);

}  // namespace onvm::examples

#endif  // ONVM_SDK_EXAMPLES_SPEED_TESTER_SPEED_STATS_H_
