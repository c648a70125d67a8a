// Multi-pattern byte-string search for payload_scan: an Aho-Corasick
// automaton built once at start-up into a dense DFA (256 next states per
// state). A scan is one table lookup per payload byte, whatever the number
// of patterns, and it streams: the state carries over from one chunk of a
// packet (mbuf segment) to the next, so a pattern split across segments is
// found. Pure code (no DPDK), unit-tested on its own.
#ifndef ONVM_SDK_EXAMPLES_PAYLOAD_SCAN_PATTERN_MATCHER_H_
#define ONVM_SDK_EXAMPLES_PAYLOAD_SCAN_PATTERN_MATCHER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onvm/packet_key.h"

namespace onvm::examples::payload_scan {

class PatternMatcher {
 public:
  using State = uint32_t;
  static constexpr State kStart = 0;
  // Returned by Feed once any pattern has been seen; feeding stops there.
  static constexpr State kMatched = 0x80000000u;
  // Total pattern bytes (bounds the table at about 16 MiB).
  static constexpr size_t kMaxTotalBytes = 16384;

  // Non-empty patterns, at most kMaxTotalBytes bytes in all.
  static absl::StatusOr<PatternMatcher> Build(const std::vector<std::string>& patterns);

  // Feeds `n` bytes starting from `state`.
  State Feed(State state, const uint8_t* p, size_t n) const {
    const uint32_t* next = next_.data();
    for (size_t i = 0; i < n; ++i) {
      state = next[(state << 8) | p[i]];
      if (state & kMatched) return kMatched;
    }
    return state;
  }
  bool Contains(const uint8_t* p, size_t n) const { return Feed(kStart, p, n) == kMatched; }
  size_t states() const { return next_.size() / 256; }

 private:
  // next_[state * 256 + byte]: the next state, with kMatched set when that
  // state ends a pattern (or has a suffix that does).
  std::vector<uint32_t> next_;
};

// Parses a hex pattern: an even number of hex digits, optionally with a 0x
// prefix and ':' or ' ' between bytes ("deadbeef", "de:ad:be:ef").
absl::StatusOr<std::string> ParseHexPattern(absl::string_view field, absl::string_view text);

// The bytes a packet's payload occupies, as offsets into the whole packet
// (all segments): [begin, end). IP: the L4 payload (after the TCP header
// with options, the UDP header, the ICMP header; for other protocols and
// non-first fragments, after the IP header), up to the IP length (Ethernet
// padding excluded). Not IP: everything after the Ethernet header and VLAN
// tags. `data`/`len` are the contiguous bytes the packet was parsed from;
// `packet_len` is the whole packet. Malformed packets are scanned whole.
struct PayloadRange {
  size_t begin = 0;
  size_t end = 0;
};
PayloadRange FindPayload(const uint8_t* data, size_t len, size_t packet_len, const PacketKey& key);

enum class Action : uint8_t { kDrop, kPass };

struct Config {
  std::vector<std::string> patterns;
  Action action = Action::kDrop;  // for packets that match
};

// --pattern STRING, --hex-pattern HEX (repeatable, at least one in all),
// --action drop|pass.
absl::StatusOr<Config> ParseFlags(std::span<const std::string> args);

}  // namespace onvm::examples::payload_scan

#endif  // ONVM_SDK_EXAMPLES_PAYLOAD_SCAN_PATTERN_MATCHER_H_
