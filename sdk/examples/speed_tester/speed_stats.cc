#include "speed_stats.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace onvm::examples {
namespace {

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// RFC 1071 checksum of an IPv4 header.
uint16_t Ipv4Checksum(const uint8_t* h, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t{h[i]} << 8) | h[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

void BuildFrame(uint8_t* buf, uint16_t size, uint64_t magic) {
  std::memset(buf, 0, size);
  static constexpr uint8_t kDst[6] = {0x02, 0, 0, 0, 0, 0x02};
  static constexpr uint8_t kSrc[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(buf, kDst, 6);
  std::memcpy(buf + 6, kSrc, 6);
  Put16(buf + 12, 0x0800);
  uint8_t* ip = buf + 14;
  ip[0] = 0x45;
  Put16(ip + 2, static_cast<uint16_t>(size - 14));  // total length
  ip[8] = 64;                                       // TTL
  ip[9] = 17;                                       // UDP
  const uint8_t src[4] = {10, 0, 0, 1};
  const uint8_t dst[4] = {10, 0, 0, 2};
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  Put16(ip + 10, Ipv4Checksum(ip, 20));
  uint8_t* udp = ip + 20;
  Put16(udp, kBaseSourcePort);
  Put16(udp + 2, 9);
  Put16(udp + 4, static_cast<uint16_t>(size - 14 - 20));
  std::memcpy(buf + kMagicOffset, &magic, sizeof(magic));
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  if (other.min_ < min_) min_ = other.min_;
  if (other.max_ > max_) max_ = other.max_;
}

uint64_t LatencyHistogram::BucketUpper(int b) {
  if (b < (2 << kSubBits)) return static_cast<uint64_t>(b);
  const int shift = (b >> kSubBits) - 1;
  const uint64_t sub = static_cast<uint64_t>(b) & ((1u << kSubBits) - 1);
  const uint64_t lower = ((uint64_t{1} << kSubBits) + sub) << shift;
  return lower + ((uint64_t{1} << shift) - 1);
}

uint64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) return min();
  // Rank of the sample sought, 1-based.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      const uint64_t upper = BucketUpper(b);
      return upper < max_ ? upper : max_;
    }
  }
  return max_;
}

std::string DescribeLatency(const LatencyHistogram& h) {
  if (h.count() == 0) return "latency: no samples";
  return absl::StrCat("latency ns: min ", h.min(), " avg ", h.mean(), " p50 ", h.Percentile(0.5),
                      " p99 ", h.Percentile(0.99), " max ", h.max());
}

}  // namespace onvm::examples
