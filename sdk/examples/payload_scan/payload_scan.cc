// onvm-nf-payload_scan: looks for byte strings in each packet's payload
// (across all of its segments) and drops, or passes, the packets that
// contain one of them.
#include <rte_mbuf.h>
#include <onvm/nf.hpp>

#include <cinttypes>
#include <cstdio>
#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "onvm/packet_key.h"
#include "pattern_matcher.h"

namespace {

using onvm::examples::payload_scan::Action;
using onvm::examples::payload_scan::Config;
using onvm::examples::payload_scan::FindPayload;
using onvm::examples::payload_scan::PatternMatcher;
using onvm::examples::payload_scan::PayloadRange;

class PayloadScan {
 public:
  static constexpr const char* kUsage =
      "  --pattern STRING     bytes to look for (repeatable)\n"
      "  --hex-pattern HEX    bytes to look for, in hex: deadbeef or de:ad:be:ef\n"
      "                       (repeatable)\n"
      "  --action drop|pass   drop: drop packets that contain a pattern, pass the rest\n"
      "                       (default); pass: pass packets that contain a pattern,\n"
      "                       drop the rest\n";

  absl::Status Init(onvm::NfContext& ctx, std::span<const std::string> args) {
    auto config = onvm::examples::payload_scan::ParseFlags(args);
    if (!config.ok()) return config.status();
    auto matcher = PatternMatcher::Build(config->patterns);
    if (!matcher.ok()) return absl::InvalidArgumentError(matcher.status().message());
    matcher_.emplace(*std::move(matcher));
    drop_matching_ = config->action == Action::kDrop;
    program_ = ctx.program;
    std::fprintf(stderr, "%s: %zu patterns (%zu states), matching packets are %s\n",
                 program_.c_str(), config->patterns.size(), matcher_->states(),
                 drop_matching_ ? "dropped" : "passed, the others dropped");
    return absl::OkStatus();
  }

  void Handle(onvm::Burst& burst) {
    const PatternMatcher& matcher = *matcher_;
    for (onvm::Packet& pkt : burst) {
      onvm::PacketKey key;
      onvm::ParsePacket(pkt.data(), pkt.length(), &key);
      const PayloadRange range = FindPayload(pkt.data(), pkt.length(), pkt.packet_length(), key);
      const bool match = Scan(matcher, pkt.mbuf(), range);
      matched_ += match;
      if (match == drop_matching_) pkt.Drop();
    }
  }

  void Shutdown() {
    std::fprintf(stderr, "%s: %" PRIu64 " packets matched\n", program_.c_str(), matched_);
  }

 private:
  // Streams [range.begin, range.end) of the packet through the automaton,
  // segment by segment.
  static bool Scan(const PatternMatcher& matcher, const rte_mbuf* m, PayloadRange range) {
    PatternMatcher::State state = PatternMatcher::kStart;
    size_t seg_start = 0;
    for (const rte_mbuf* seg = m; seg != nullptr && seg_start < range.end; seg = seg->next) {
      const size_t seg_end = seg_start + seg->data_len;
      const size_t lo = range.begin > seg_start ? range.begin : seg_start;
      const size_t hi = range.end < seg_end ? range.end : seg_end;
      if (lo < hi) {
        state = matcher.Feed(state, rte_pktmbuf_mtod_offset(seg, const uint8_t*, lo - seg_start),
                             hi - lo);
        if (state == PatternMatcher::kMatched) return true;
      }
      seg_start = seg_end;
    }
    return false;
  }

  std::optional<PatternMatcher> matcher_;
  bool drop_matching_ = true;
  uint64_t matched_ = 0;
  std::string program_;
};

}  // namespace

int main(int argc, char** argv) {
  PayloadScan nf;
  return onvm::RunNf(argc, argv, nf);
}
