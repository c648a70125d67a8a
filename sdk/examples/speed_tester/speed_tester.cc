// onvm-nf-speed_tester: makes packets of its own, sends them into a chain
// and measures what comes back: throughput (packets/s, Gbit/s) and latency
// (min, avg, p50, p99, max), reported every second and at the end, and
// exported as counters of its own.
//
// The chain starts with this NF's service and, to bring the packets back,
// ends with it too, e.g. services [st, fwd, st] and then {drop: true}. Each
// packet enters the chain as if it had arrived at the speed tester at
// position 0 (Origin{chain, hop 0, Next}); the engine takes it through
// the services in between and back here, where the NF reads the send
// timestamp from the payload and lets the packet go on to the chain's end.
// No TO_SERVICE jump is involved, so the engine's hop limit never applies.
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "flags.h"
#include "onvm/nf.hpp"
#include "speed_stats.h"

namespace {

using onvm::examples::LatencyHistogram;

// Counters of its own, in declaration order.
enum CounterId {
  kSentPackets,
  kSentBytes,
  kReceivedPackets,
  kReceivedBytes,
  kLatencyNsSum,
  kLostPackets,
  kAllocFailures,
  kCounters,
};
constexpr const char* kCounterNames[kCounters] = {
    "sent_packets",   "sent_bytes",   "received_packets", "received_bytes",
    "latency_ns_sum", "lost_packets", "alloc_failures"};

// What happened during one report interval, or during the whole run.
struct Totals {
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t received_bytes = 0;
  LatencyHistogram latency;
};

class SpeedTester {
 public:
  static constexpr const char* kUsage =
      "  --chain NAME     chain to send into; it starts with this NF's service and\n"
      "                   ends with it to bring the packets back (required)\n"
      "  --size N         frame size in bytes without the FCS, 60..9000; default 60\n"
      "  --burst N        packets allocated and sent at a time, 1..32; default 32\n"
      "  --rate PPS       packets per second to send; 0 (default): as fast as possible\n"
      "  --inflight N     packets sent and not yet back, at most; 0: no limit (for a\n"
      "                   chain that does not come back); default 1024\n"
      "  --flows N        distinct UDP flows (source ports), 1..64512; default 1\n"
      "  --duration S     stop after S seconds; 0 (default): run until SIGTERM\n";

  absl::Status Init(onvm::NfContext& ctx, std::span<const std::string> args) {
    ctx_ = &ctx;
    auto flags = onvm::examples::SplitFlags(
        args, {"--chain", "--size", "--burst", "--rate", "--inflight", "--flows", "--duration"});
    if (!flags.ok()) return flags.status();
    std::string chain;
    for (const auto& f : *flags) {
      absl::StatusOr<uint64_t> v = 0;
      if (f.name == "--chain") {
        chain = f.value;
        continue;
      } else if (f.name == "--size") {
        v = onvm::examples::ParseFlagNumber(f, onvm::examples::kMinFrameSize,
                                            onvm::examples::kMaxFrameSize);
        if (v.ok()) size_ = static_cast<uint16_t>(*v);
      } else if (f.name == "--burst") {
        v = onvm::examples::ParseFlagNumber(f, 1, onvm::Burst::kMaxSize);
        if (v.ok()) burst_ = static_cast<uint16_t>(*v);
      } else if (f.name == "--rate") {
        v = onvm::examples::ParseFlagNumber(f, 0, 1'000'000'000);
        if (v.ok()) rate_ = *v;
      } else if (f.name == "--inflight") {
        v = onvm::examples::ParseFlagNumber(f, 0, 1 << 30);
        if (v.ok()) inflight_limit_ = *v;
      } else if (f.name == "--flows") {
        v = onvm::examples::ParseFlagNumber(f, 1, onvm::examples::kMaxFlows);
        if (v.ok()) flows_ = static_cast<uint32_t>(*v);
      } else if (f.name == "--duration") {
        v = onvm::examples::ParseFlagNumber(f, 0, 365ULL * 24 * 3600);
        if (v.ok()) duration_s_ = *v;
      }
      if (!v.ok()) return v.status();
    }
    if (chain.empty()) return absl::InvalidArgumentError("--chain: required");
    const uint32_t room =
        rte_pktmbuf_data_room_size(ctx.pktmbuf_pool) - uint32_t{RTE_PKTMBUF_HEADROOM};
    if (size_ > room) {
      return absl::InvalidArgumentError(
          absl::StrCat("--size: ", size_, " bytes do not fit in the engine's mbufs (", room, ")"));
    }
    absl::StatusOr<uint16_t> chain_id = ctx.ChainId(chain);
    if (!chain_id.ok()) return chain_id.status();
    chain_ = *chain_id;
    origin_ = {.chain = chain_, .hop = 0, .action = onvm::Action::kNext, .arg = 0};
    magic_ = onvm::examples::SpeedTesterMagic(ctx.instance_id);
    onvm::examples::BuildFrame(frame_, size_, magic_);
    for (int i = 0; i < kCounters; ++i) {
      auto c = ctx.AddCounter(kCounterNames[i]);
      if (!c.ok()) return c.status();
      counters_[i] = *c;
    }
    hz_ = rte_get_tsc_hz();
    ns_per_cycle_ = 1e9 / static_cast<double>(hz_);
    std::printf("%s: sending %u-byte frames on %u flow(s) into chain \"%s\" (id %u), %s\n",
                ctx.program.c_str(), unsigned{size_}, flows_, chain.c_str(), unsigned{chain_},
                rate_ == 0 ? std::string("as fast as possible").c_str()
                           : absl::StrCat(rate_, " packets/s").c_str());
    std::fflush(stdout);
    return absl::OkStatus();
  }

  // Generates: one burst per call while the rate, the in-flight limit and
  // the duration allow.
  bool Poll(onvm::NfContext& ctx) {
    const uint64_t now = rte_rdtsc();
    if (start_tsc_ == 0) {
      start_tsc_ = last_report_tsc_ = now;
      if (duration_s_ != 0) end_tsc_ = now + duration_s_ * hz_;
    }
    if (end_tsc_ != 0 && now >= end_tsc_) {
      // Done sending: give what is in flight a moment to come back.
      if (outstanding_ <= 0 || now >= end_tsc_ + hz_ / 2) onvm::RequestStop();
      return true;
    }
    uint64_t n = burst_;
    if (rate_ != 0) {
      const double due = static_cast<double>(now - start_tsc_) / static_cast<double>(hz_) *
                         static_cast<double>(rate_);
      const uint64_t allowed =
          due > static_cast<double>(all_.sent) ? static_cast<uint64_t>(due) - all_.sent : 0;
      n = std::min(n, allowed);
    }
    if (inflight_limit_ != 0) {
      const int64_t room = static_cast<int64_t>(inflight_limit_) - outstanding_;
      n = room > 0 ? std::min<uint64_t>(n, static_cast<uint64_t>(room)) : 0;
    }
    if (n == 0) return true;
    const auto count = static_cast<uint16_t>(n);
    if (ctx.Alloc(mbufs_, count) != count) {
      counters_[kAllocFailures].Add(1);
      return true;
    }
    for (uint16_t i = 0; i < count; ++i) {
      rte_mbuf* m = mbufs_[i];
      uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
      rte_memcpy(p, frame_, size_);
      m->data_len = size_;
      m->pkt_len = size_;
      const uint32_t flow = next_flow_;
      next_flow_ = next_flow_ + 1 == flows_ ? 0 : next_flow_ + 1;
      const uint16_t port = static_cast<uint16_t>(onvm::examples::kBaseSourcePort + flow);
      p[onvm::examples::kUdpSourcePortOffset] = static_cast<uint8_t>(port >> 8);
      p[onvm::examples::kUdpSourcePortOffset + 1] = static_cast<uint8_t>(port);
      m->hash.rss = flow * 0x9e3779b1u;  // the replica choice of each service
      std::memcpy(p + onvm::examples::kTimestampOffset, &now, sizeof(now));
    }
    const uint16_t sent = ctx.Send(mbufs_, count, origin_);
    if (sent < count) ctx.Free(mbufs_ + sent, count - sent);
    interval_.sent += sent;
    all_.sent += sent;
    outstanding_ += sent;
    counters_[kSentPackets].Add(sent);
    counters_[kSentBytes].Add(uint64_t{sent} * size_);
    return true;
  }

  // Takes the latency of its own packets coming back; they (and any other
  // packet) go on to the chain's end.
  void Handle(onvm::Burst& burst) {
    const uint64_t now = rte_rdtsc();
    uint64_t received = 0;
    uint64_t bytes = 0;
    uint64_t latency_sum = 0;
    for (auto& pkt : burst) {
      if (pkt.meta().chain != chain_ || pkt.length() < onvm::examples::kTimestampOffset + 8) {
        continue;
      }
      const uint8_t* p = pkt.data();
      uint64_t magic;
      uint64_t sent_tsc;
      std::memcpy(&magic, p + onvm::examples::kMagicOffset, sizeof(magic));
      if (magic != magic_) continue;
      std::memcpy(&sent_tsc, p + onvm::examples::kTimestampOffset, sizeof(sent_tsc));
      const uint64_t ns =
          static_cast<uint64_t>(static_cast<double>(now - sent_tsc) * ns_per_cycle_);
      interval_.latency.Add(ns);
      latency_sum += ns;
      ++received;
      bytes += pkt.packet_length();
    }
    if (received == 0) return;
    interval_.received += received;
    interval_.received_bytes += bytes;
    outstanding_ -= static_cast<int64_t>(received);
    counters_[kReceivedPackets].Add(received);
    counters_[kReceivedBytes].Add(bytes);
    counters_[kLatencyNsSum].Add(latency_sum);
  }

  // Every second: the interval's report.
  void Periodic(onvm::NfContext& ctx) {
    if (start_tsc_ == 0) return;
    const uint64_t now = rte_rdtsc();
    const double seconds = static_cast<double>(now - last_report_tsc_) / static_cast<double>(hz_);
    last_report_tsc_ = now;
    // Packets sent a whole interval ago that never came back were lost on
    // the way (a full ring, a chain that ends elsewhere): stop waiting.
    if (inflight_limit_ != 0 && interval_.received == 0 && outstanding_ > 0) {
      lost_ += static_cast<uint64_t>(outstanding_);
      counters_[kLostPackets].Add(static_cast<uint64_t>(outstanding_));
      outstanding_ = 0;
    }
    char when[32];
    std::snprintf(when, sizeof(when), "%.1f s",
                  static_cast<double>(now - start_tsc_) / static_cast<double>(hz_));
    Report(ctx, when, interval_, seconds);
    all_.received += interval_.received;
    all_.received_bytes += interval_.received_bytes;
    all_.latency.Merge(interval_.latency);
    interval_ = Totals();
  }

  void Shutdown() {
    if (start_tsc_ == 0) {
      std::printf("%s: sent nothing\n", ctx_->program.c_str());
      return;
    }
    all_.received += interval_.received;
    all_.received_bytes += interval_.received_bytes;
    all_.latency.Merge(interval_.latency);
    const double seconds = static_cast<double>(rte_rdtsc() - start_tsc_) / static_cast<double>(hz_);
    const uint64_t in_flight = outstanding_ > 0 ? static_cast<uint64_t>(outstanding_) : 0;
    std::printf("%s: total: sent %" PRIu64 " received %" PRIu64 " lost %" PRIu64 "\n",
                ctx_->program.c_str(), all_.sent, all_.received, lost_ + in_flight);
    Report(*ctx_, "total", all_, seconds);
  }

 private:
  void Report(const onvm::NfContext& ctx, const std::string& when, const Totals& t,
              double seconds) const {
    if (seconds <= 0) seconds = 1e-9;
    const double tx_pps = static_cast<double>(t.sent) / seconds;
    const double rx_pps = static_cast<double>(t.received) / seconds;
    const double tx_gbps = tx_pps * size_ * 8 / 1e9;
    const double rx_gbps = static_cast<double>(t.received_bytes) * 8 / seconds / 1e9;
    std::printf("%s: %s: tx %.3f Mpps %.3f Gbit/s, rx %.3f Mpps %.3f Gbit/s, %s\n",
                ctx.program.c_str(), when.c_str(), tx_pps / 1e6, tx_gbps, rx_pps / 1e6, rx_gbps,
                onvm::examples::DescribeLatency(t.latency).c_str());
    std::fflush(stdout);
  }

  onvm::NfContext* ctx_ = nullptr;
  // Flags.
  uint16_t size_ = onvm::examples::kMinFrameSize;
  uint16_t burst_ = onvm::Burst::kMaxSize;
  uint64_t rate_ = 0;
  uint64_t inflight_limit_ = 1024;
  uint32_t flows_ = 1;
  uint64_t duration_s_ = 0;
  // Set up in Init.
  uint16_t chain_ = 0;
  onvm::Origin origin_;
  uint64_t magic_ = 0;
  uint64_t hz_ = 1;
  double ns_per_cycle_ = 1;
  alignas(64) uint8_t frame_[onvm::examples::kMaxFrameSize];
  onvm::Counter counters_[kCounters];
  // Running state, on the poll thread.
  uint64_t start_tsc_ = 0;  // first Poll
  uint64_t end_tsc_ = 0;    // 0: no --duration
  uint64_t last_report_tsc_ = 0;
  uint32_t next_flow_ = 0;
  int64_t outstanding_ = 0;  // sent and neither back nor given up
  uint64_t lost_ = 0;
  rte_mbuf* mbufs_[onvm::Burst::kMaxSize];
  Totals interval_;
  Totals all_;  // received and latency are merged in at each report
};

}  // namespace

int main(int argc, char** argv) {
  static SpeedTester nf;  // large (the frame template): not on the stack
  return onvm::RunNf(argc, argv, nf);
}
