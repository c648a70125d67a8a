// Fuzz target: the packet parser and the header match (common/).
//
// Input: one Ethernet frame, as on the wire. The frame is copied into a heap
// buffer of exactly its size, so that any read past its end is an ASan
// report. Then:
//   - ParsePacket must leave a key whose offsets stay inside the frame;
//   - MatchesHeaders runs against a fixed set of compiled matches (prefixes
//     with odd lengths, port ranges, VLAN, protocols, ether types);
//   - a match compiled from the packet's own fields (its addresses as
//     prefixes of a length taken from the frame, its protocol, its ports as
//     one-port ranges, its VLAN) must match it: the parser, ParsePrefix,
//     MaskTo and PrefixContains have to agree.
// A broken invariant aborts with a message, which libFuzzer reports as a
// crash and saves.
#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "onvm/match.h"
#include "onvm/packet_key.h"

namespace {

using onvm::CompiledMatch;
using onvm::PacketKey;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_packet: invariant broken: %s\n", what.c_str());
  std::abort();
}

CompiledMatch MustCompile(const onvm::v1::Match& m) {
  auto c = onvm::CompileMatch(m, "fuzz");
  if (!c.ok()) Fail(absl::StrCat("fixed match does not compile: ", c.status().ToString()));
  return *c;
}

std::vector<CompiledMatch> FixedMatches() {
  std::vector<CompiledMatch> out;
  auto add = [&](auto fill) {
    onvm::v1::Match m;
    fill(m);
    out.push_back(MustCompile(m));
  };
  add([](onvm::v1::Match&) {});  // matches everything
  add([](onvm::v1::Match& m) { m.set_src_prefix("10.0.0.0/8"); });
  add([](onvm::v1::Match& m) {
    m.set_dst_prefix("192.0.2.128/25");
    m.set_ip_proto("tcp");
    m.set_dst_ports("80-443");
  });
  add([](onvm::v1::Match& m) {
    m.set_src_prefix("2001:db8::/33");
    m.set_ip_proto("udp");
    m.set_src_ports("1024-65535");
  });
  add([](onvm::v1::Match& m) {
    m.set_dst_prefix("fe80::1/128");
    m.set_ip_proto("sctp");
    m.set_src_ports("0");
  });
  add([](onvm::v1::Match& m) { m.set_vlan_id(100); });
  add([](onvm::v1::Match& m) {
    m.set_vlan_id(4095);
    m.set_eth_type("ipv6");
  });
  add([](onvm::v1::Match& m) { m.set_eth_type("arp"); });
  add([](onvm::v1::Match& m) { m.set_ip_proto("icmp"); });
  add([](onvm::v1::Match& m) { m.set_ip_proto("0x3a"); });
  add([](onvm::v1::Match& m) { m.set_eth_type("0x88cc"); });
  add([](onvm::v1::Match& m) {
    m.set_src_prefix("0.0.0.0/0");
    m.set_dst_prefix("255.255.255.255");
  });
  return out;
}

std::string AddrText(const PacketKey& key, const uint8_t* addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  const int af = key.ip_version == 4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, addr, buf, sizeof(buf)) == nullptr) Fail("inet_ntop failed");
  return buf;
}

void CheckKey(const PacketKey& key, size_t len) {
  if (key.l3_offset > len) Fail(absl::StrCat("l3_offset ", key.l3_offset, " > len ", len));
  if (key.ip_version != 0 && key.ip_version != 4 && key.ip_version != 6) {
    Fail(absl::StrCat("ip_version ", key.ip_version));
  }
  if (key.ip_version != 0) {
    if (key.eth_type != (key.ip_version == 4 ? onvm::kEtherTypeIpv4 : onvm::kEtherTypeIpv6)) {
      Fail("ip_version does not agree with eth_type");
    }
    const size_t min_l3 = key.ip_version == 4 ? 20 : 40;
    if (size_t{key.l3_offset} + min_l3 > len) Fail("IP header announced past the end");
  }
  if (key.has_l4_ports) {
    if (key.ip_version == 0) Fail("L4 ports without an IP header");
    if (key.malformed) Fail("L4 ports on a malformed packet");
    if (key.l4_offset < key.l3_offset) Fail("l4_offset before l3_offset");
    if (size_t{key.l4_offset} + 4 > len) {
      Fail(absl::StrCat("l4_offset ", key.l4_offset, " + 4 > len ", len));
    }
  }
  if (key.has_vlan && key.vlan_id > 4095) Fail("vlan_id > 4095");
}

bool SameKey(const PacketKey& a, const PacketKey& b) {
  return a.eth_type == b.eth_type && a.vlan_id == b.vlan_id && a.has_vlan == b.has_vlan &&
         a.ip_version == b.ip_version && a.ip_proto == b.ip_proto &&
         a.has_l4_ports == b.has_l4_ports && a.src_port == b.src_port && a.dst_port == b.dst_port &&
         std::memcmp(a.src_addr, b.src_addr, 16) == 0 &&
         std::memcmp(a.dst_addr, b.dst_addr, 16) == 0 && a.l3_offset == b.l3_offset &&
         a.l4_offset == b.l4_offset && a.malformed == b.malformed;
}

// A match built from the packet's own fields must match the packet.
void CheckSelfMatch(const PacketKey& key, const uint8_t* data, size_t len) {
  onvm::v1::Match m;
  if (key.ip_version != 0) {
    // Prefix lengths from the frame's last bytes, so the fuzzer explores them.
    const int max = key.ip_version == 4 ? 32 : 128;
    const int src_len = len > 0 ? data[len - 1] % (max + 1) : max;
    const int dst_len = len > 1 ? data[len - 2] % (max + 1) : max;
    m.set_src_prefix(absl::StrCat(AddrText(key, key.src_addr), "/", src_len));
    m.set_dst_prefix(absl::StrCat(AddrText(key, key.dst_addr), "/", dst_len));
    m.set_ip_proto(absl::StrCat(key.ip_proto));
    if (key.has_l4_ports &&
        (key.ip_proto == onvm::kIpProtoTcp || key.ip_proto == onvm::kIpProtoUdp ||
         key.ip_proto == onvm::kIpProtoSctp)) {
      m.set_src_ports(absl::StrCat(key.src_port));
      m.set_dst_ports(
          absl::StrCat(key.src_port <= key.dst_port ? key.src_port : 0, "-", key.dst_port));
    }
  } else if (key.eth_type != onvm::kEtherTypeVlan && key.eth_type != onvm::kEtherTypeQinQ) {
    m.set_eth_type(absl::StrCat(key.eth_type));
  }
  if (key.has_vlan) m.set_vlan_id(key.vlan_id);
  auto c = onvm::CompileMatch(m, "self");
  if (!c.ok()) Fail(absl::StrCat("self match does not compile: ", c.status().ToString()));
  if (!onvm::MatchesHeaders(*c, key)) {
    Fail(absl::StrCat("packet does not match its own fields: ", m.ShortDebugString()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<CompiledMatch> matches = FixedMatches();

  // Exactly-sized heap copy: a read one byte past the frame is caught.
  std::vector<uint8_t> frame(data, data + size);
  const uint8_t* bytes = frame.empty() ? nullptr : frame.data();

  PacketKey key;
  onvm::ParsePacket(bytes, frame.size(), &key);
  CheckKey(key, frame.size());

  // Parsing is a pure function of the bytes.
  PacketKey again;
  again.malformed = !key.malformed;
  again.src_port = static_cast<uint16_t>(key.src_port + 1);
  again.src_addr[0] = static_cast<uint8_t>(key.src_addr[0] + 1);
  onvm::ParsePacket(bytes, frame.size(), &again);
  if (!SameKey(key, again)) Fail("ParsePacket depends on more than the bytes");

  if (!matches.front().src_ports.any() || !onvm::MatchesHeaders(matches.front(), key)) {
    Fail("the empty match must match every packet");
  }
  unsigned hits = 0;
  for (const CompiledMatch& m : matches) hits += onvm::MatchesHeaders(m, key) ? 1 : 0;
  (void)hits;

  CheckSelfMatch(key, bytes, frame.size());
  return 0;
}
