// onvm-nf-monitor: passes every packet on and counts what it sees, per
// protocol, as its own counters (exported by the agent as
// onvm_nf_custom_total{service,instance,name}).
//
//   --drop-malformed  drop packets whose headers are cut short or
//                     inconsistent instead of passing them (still counted)
#include <array>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "flags.h"
#include "onvm/nf.hpp"
#include "onvm/packet_key.h"

namespace {

// Counter names, in declaration order.
enum Field {
  kPackets,
  kBytes,
  kIpv4,
  kIpv6,
  kArp,
  kOtherL3,
  kVlan,
  kTcpPackets,
  kTcpBytes,
  kUdpPackets,
  kUdpBytes,
  kIcmpPackets,
  kIcmpBytes,
  kOtherL4,
  kMalformed,
  kFields,
};
constexpr std::array<const char*, kFields> kNames = {
    "packets",          "bytes",        "ipv4_packets", "ipv6_packets",     "arp_packets",
    "other_l3_packets", "vlan_packets", "tcp_packets",  "tcp_bytes",        "udp_packets",
    "udp_bytes",        "icmp_packets", "icmp_bytes",   "other_l4_packets", "malformed_packets"};

class Monitor {
 public:
  static constexpr const char* kUsage =
      "  --drop-malformed yes|no  drop packets with cut-short or inconsistent headers\n";

  absl::Status Init(onvm::NfContext& ctx, std::span<const std::string> args) {
    auto flags = onvm::examples::SplitFlags(args, {"--drop-malformed"});
    if (!flags.ok()) return flags.status();
    for (const auto& f : *flags) {
      if (f.value != "yes" && f.value != "no") {
        return absl::InvalidArgumentError(
            absl::StrCat(f.name, ": '", f.value, "' is not yes or no"));
      }
      drop_malformed_ = f.value == "yes";
    }
    for (int i = 0; i < kFields; ++i) {
      auto c = ctx.AddCounter(kNames[i]);
      if (!c.ok()) return c.status();
      counters_[i] = *c;
    }
    return absl::OkStatus();
  }

  void Handle(onvm::Burst& burst) {
    // Summed per burst, published once: one store per counter per burst.
    std::array<uint64_t, kFields> n = {};
    for (auto& pkt : burst) {
      onvm::PacketKey key;
      onvm::ParsePacket(pkt.data(), pkt.length(), &key);
      const uint64_t len = pkt.packet_length();
      ++n[kPackets];
      n[kBytes] += len;
      n[kVlan] += key.has_vlan;
      if (key.ip_version == 4) {
        ++n[kIpv4];
      } else if (key.ip_version == 6) {
        ++n[kIpv6];
      } else if (key.eth_type == onvm::kEtherTypeArp) {
        ++n[kArp];
      } else {
        ++n[kOtherL3];
      }
      if (key.ip_version != 0) {
        switch (key.ip_proto) {
          case onvm::kIpProtoTcp:
            ++n[kTcpPackets];
            n[kTcpBytes] += len;
            break;
          case onvm::kIpProtoUdp:
            ++n[kUdpPackets];
            n[kUdpBytes] += len;
            break;
          case onvm::kIpProtoIcmp:
          case onvm::kIpProtoIcmpv6:
            ++n[kIcmpPackets];
            n[kIcmpBytes] += len;
            break;
          default:
            ++n[kOtherL4];
            break;
        }
      }
      if (key.malformed) {
        ++n[kMalformed];
        if (drop_malformed_) pkt.Drop();
      }
    }
    for (int i = 0; i < kFields; ++i) {
      if (n[i] != 0) counters_[i].Add(n[i]);
    }
  }

 private:
  bool drop_malformed_ = false;
  std::array<onvm::Counter, kFields> counters_;
};

}  // namespace

int main(int argc, char** argv) {
  Monitor nf;
  return onvm::RunNf(argc, argv, nf);
}
