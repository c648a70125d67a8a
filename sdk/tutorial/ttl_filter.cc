// onvm-nf-ttl_filter: the NF of the SDK tutorial (sdk/README.md).
//
// Drops IPv4 packets whose TTL, and IPv6 packets whose hop limit, is below
// --min-ttl (default 2): packets that the next router would discard anyway.
// Every other packet goes on to the next service of its chain. It counts
// what it drops as a counter of its own, prints a line every 10 seconds
// while it sees traffic, and a summary when it stops.
#include <onvm/packet_key.h>
#include <onvm/nf.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

class TtlFilter {
 public:
  // Shown by --help after the SDK's own flags.
  static constexpr const char* kUsage =
      "  --min-ttl N   drop packets with a TTL below N (default 2)\n";

  // Runs once the NF is attached to the engine, before any packet arrives.
  // `args` are the flags the SDK did not take.
  absl::Status Init(onvm::NfContext& ctx, std::span<const std::string> args) {
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] != "--min-ttl" || i + 1 == args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown argument \"", args[i], "\""));
      }
      const std::string& v = args[++i];
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), min_ttl_);
      if (ec != std::errc() || end != v.data() + v.size() || min_ttl_ > 255) {
        return absl::InvalidArgumentError(absl::StrCat("--min-ttl: '", v, "' is not 0..255"));
      }
    }
    // Exported by the agent as onvm_nf_custom_total{name="low_ttl_packets"}.
    absl::StatusOr<onvm::Counter> dropped = ctx.AddCounter("low_ttl_packets");
    if (!dropped.ok()) return dropped.status();
    dropped_ = *dropped;
    ctx.periodic_interval = std::chrono::seconds(10);
    ctx_ = &ctx;
    return absl::OkStatus();
  }

  // Once per burst of up to 32 packets. Every packet starts as Next().
  void Handle(onvm::Burst& burst) {
    uint64_t dropped = 0;
    for (onvm::Packet& pkt : burst) {
      onvm::PacketKey key;  // bounds-checked parse of the headers
      onvm::ParsePacket(pkt.data(), pkt.length(), &key);
      if (key.ip_version == 0 || key.malformed) continue;
      // TTL is byte 8 of the IPv4 header; the hop limit byte 7 of IPv6's.
      const uint8_t ttl = pkt.data()[key.l3_offset + (key.ip_version == 4 ? 8 : 7)];
      if (ttl < min_ttl_) {
        pkt.Drop();
        ++dropped;
      }
    }
    if (dropped != 0) dropped_.Add(dropped);
  }

  // About every ctx.periodic_interval, on the NF's own thread.
  void Periodic(onvm::NfContext& ctx) {
    if (ctx.stats.rx_packets == last_rx_) return;
    last_rx_ = ctx.stats.rx_packets;
    std::printf("ttl_filter: %llu packets, %llu dropped\n",
                static_cast<unsigned long long>(ctx.stats.rx_packets),
                static_cast<unsigned long long>(dropped_.value()));
    std::fflush(stdout);
  }

  // After the last burst, when the NF stops (SIGINT/SIGTERM).
  void Shutdown() {
    std::printf("ttl_filter: instance %u saw %llu packets, dropped %llu with a TTL below %u\n",
                ctx_->instance_id, static_cast<unsigned long long>(ctx_->stats.rx_packets),
                static_cast<unsigned long long>(dropped_.value()), min_ttl_);
  }

 private:
  unsigned min_ttl_ = 2;
  onvm::Counter dropped_;
  onvm::NfContext* ctx_ = nullptr;
  uint64_t last_rx_ = 0;
};

int main(int argc, char** argv) {
  TtlFilter nf;
  return onvm::RunNf(argc, argv, nf);
}
