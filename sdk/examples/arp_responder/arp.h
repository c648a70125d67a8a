// ARP replies for arp_responder: configuration and the in-place rewrite of
// a request into its reply. Pure code (no DPDK), unit-tested on its own.
#ifndef ONVM_SDK_EXAMPLES_ARP_RESPONDER_ARP_H_
#define ONVM_SDK_EXAMPLES_ARP_RESPONDER_ARP_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onvm::examples::arp {

using Mac = std::array<uint8_t, 6>;
using Ipv4 = std::array<uint8_t, 4>;

struct Config {
  std::vector<Ipv4> ips;   // the addresses to answer for
  std::optional<Mac> mac;  // unset: 02:00:<the four bytes of the address>
};

// --ip A.B.C.D[,A.B.C.D...] (repeatable, at least one), --mac XX:XX:XX:XX:XX:XX.
absl::StatusOr<Config> ParseFlags(std::span<const std::string> args);

// "02:00:00:00:00:01" (':' or '-' between bytes); a multicast MAC is refused.
absl::StatusOr<Mac> ParseMac(absl::string_view field, absl::string_view text);

// The MAC answered for `ip` when no --mac is given: locally administered,
// unicast, 02:00 followed by the address.
Mac DefaultMac(const Ipv4& ip);

class Responder {
 public:
  explicit Responder(const Config& config);

  // If the `len` bytes at `data` are an Ethernet (optionally VLAN-tagged)
  // ARP request for IPv4 over Ethernet asking for one of our addresses,
  // rewrites them in place into the reply (to the requester, from our MAC;
  // tags and length unchanged) and returns true. Announcements (sender
  // address = target address) get no reply. Anything else: false, untouched.
  bool Reply(uint8_t* data, size_t len) const;

  // The MAC for `ip`, or nullptr when it is not ours.
  const Mac* Lookup(const uint8_t ip[4]) const;

 private:
  std::vector<uint32_t> ips_;  // sorted, as big-endian numbers
  std::vector<Mac> macs_;      // parallel to ips_
};

}  // namespace onvm::examples::arp

#endif  // ONVM_SDK_EXAMPLES_ARP_RESPONDER_ARP_H_
