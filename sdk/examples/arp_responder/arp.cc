#include "arp.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "flags.h"

namespace onvm::examples::arp {
namespace {

constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88a8;
constexpr size_t kArpSize = 28;  // IPv4 over Ethernet
constexpr uint16_t kOpRequest = 1;
constexpr uint16_t kOpReply = 2;

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Load32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<Mac> ParseMac(absl::string_view field, absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": '", text, "' ", why));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::ByAnyChar(":-"));
  Mac mac{};
  if (parts.size() != 6) return bad("is not a MAC address such as 02:00:00:00:00:01");
  for (size_t i = 0; i < 6; ++i) {
    const absl::string_view p = parts[i];
    if (p.size() != 2 || HexValue(p[0]) < 0 || HexValue(p[1]) < 0) {
      return bad("is not a MAC address such as 02:00:00:00:00:01");
    }
    mac[i] = static_cast<uint8_t>(HexValue(p[0]) << 4 | HexValue(p[1]));
  }
  if (mac[0] & 1) return bad("is a multicast address");
  return mac;
}

Mac DefaultMac(const Ipv4& ip) { return {0x02, 0x00, ip[0], ip[1], ip[2], ip[3]}; }

absl::StatusOr<Config> ParseFlags(std::span<const std::string> args) {
  auto flags = SplitFlags(args, {"--ip", "--mac"});
  if (!flags.ok()) return flags.status();
  Config c;
  for (const Flag& f : *flags) {
    if (f.name == "--mac") {
      if (c.mac.has_value()) return absl::InvalidArgumentError("--mac given twice");
      auto mac = ParseMac(f.name, f.value);
      if (!mac.ok()) return mac.status();
      c.mac = *mac;
      continue;
    }
    for (absl::string_view text : absl::StrSplit(f.value, ',')) {
      auto ip = ParseIpv4(f.name, text);
      if (!ip.ok()) return ip.status();
      Ipv4 a;
      std::memcpy(a.data(), &*ip, 4);
      if (std::find(c.ips.begin(), c.ips.end(), a) != c.ips.end()) {
        return absl::InvalidArgumentError(absl::StrCat("--ip: ", text, " given twice"));
      }
      c.ips.push_back(a);
    }
  }
  if (c.ips.empty()) return absl::InvalidArgumentError("--ip is required");
  return c;
}

Responder::Responder(const Config& config) {
  std::vector<size_t> order(config.ips.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return Load32(config.ips[a].data()) < Load32(config.ips[b].data());
  });
  for (size_t i : order) {
    ips_.push_back(Load32(config.ips[i].data()));
    macs_.push_back(config.mac.value_or(DefaultMac(config.ips[i])));
  }
}

const Mac* Responder::Lookup(const uint8_t ip[4]) const {
  const uint32_t v = Load32(ip);
  const auto it = std::lower_bound(ips_.begin(), ips_.end(), v);
  if (it == ips_.end() || *it != v) return nullptr;
  return &macs_[static_cast<size_t>(it - ips_.begin())];
}

bool Responder::Reply(uint8_t* data, size_t len) const {
  if (len < 14) return false;
  size_t off = 12;
  uint16_t type = Load16(data + off);
  for (int tags = 0; tags < 2 && (type == kEtherTypeVlan || type == kEtherTypeQinQ); ++tags) {
    if (len < off + 6) return false;
    off += 4;
    type = Load16(data + off);
  }
  off += 2;
  if (type != kEtherTypeArp || len < off + kArpSize) return false;
  uint8_t* arp = data + off;
  // htype Ethernet, ptype IPv4, hlen 6, plen 4, a request.
  if (Load16(arp) != 1 || Load16(arp + 2) != 0x0800 || arp[4] != 6 || arp[5] != 4 ||
      Load16(arp + 6) != kOpRequest) {
    return false;
  }
  uint8_t* sha = arp + 8;
  uint8_t* spa = arp + 14;
  uint8_t* tha = arp + 18;
  uint8_t* tpa = arp + 24;
  const Mac* mac = Lookup(tpa);
  if (mac == nullptr || std::memcmp(spa, tpa, 4) == 0) return false;
  // Ethernet: back to the requester, from us.
  std::memcpy(data, sha, 6);
  std::memcpy(data + 6, mac->data(), 6);
  // ARP: the target becomes the requester, the sender is us.
  uint8_t asked[4];
  std::memcpy(asked, tpa, 4);
  arp[6] = 0;
  arp[7] = kOpReply;
  std::memcpy(tha, sha, 6);
  std::memcpy(tpa, spa, 4);
  std::memcpy(sha, mac->data(), 6);
  std::memcpy(spa, asked, 4);
  return true;
}

}  // namespace onvm::examples::arp
