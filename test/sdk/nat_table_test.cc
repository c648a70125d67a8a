// The NAT's flow table and per-burst translation, on a private EAL (no
// hugepages, nothing on disk) so that rte_hash works without an engine.
#include "nat_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include <unistd.h>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <string>
#include <vector>

#include "harness/harness.h"
#include "onvm/packet_key.h"

namespace onvm::examples::nat {
namespace {

using ::onvm::testing::CheckFrame;
using ::onvm::testing::Frame;
using ::onvm::testing::PacketBuilder;

constexpr uint16_t kInside = 0;
constexpr uint16_t kOutside = 1;

bool g_eal_up = false;

class NatTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (g_eal_up) return;
    // --no-huge (which means legacy memory) rules out --in-memory;
    // --no-shconf and a file prefix of our own keep test processes apart.
    static std::vector<std::string> args = {
        "nat_table_test",
        "--no-huge",
        "-m",
        "64",
        "--no-pci",
        "--no-shconf",
        "--file-prefix=sdk-nat-test-" + std::to_string(getpid()),
        "--no-telemetry",
        "--log-level=lib.eal:error"};
    static std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    g_eal_up = rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0;
  }

  static void TearDownTestSuite() {
    if (!g_eal_up) return;
    const std::string dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    g_eal_up = false;
    // The runtime directory EAL made for our file prefix.
    if (dir.find("sdk-nat-test-") != std::string::npos) std::filesystem::remove_all(dir);
  }

  void SetUp() override {
    if (!g_eal_up) GTEST_SKIP() << "EAL did not initialise (no-huge, in-memory)";
  }

  void Make(uint16_t port_lo = 30000, uint16_t port_hi = 30099, uint32_t timeout_s = 10,
            uint32_t max_flows = 64) {
    NatConfig c;
    const uint8_t ext[4] = {203, 0, 113, 7};
    std::memcpy(c.external_ip, ext, 4);
    c.inside_port = kInside;
    c.port_lo = port_lo;
    c.port_hi = port_hi;
    c.timeout_s = timeout_s;
    c.max_flows = max_flows;
    auto nat = Nat::Create(c, "nat_test_" + std::to_string(++instances_), SOCKET_ID_ANY, 1);
    if (!nat.ok()) {
      ADD_FAILURE() << nat.status();
      std::abort();
    }
    nat_ = *std::move(nat);
  }

  // Runs one burst; returns the verdicts.
  std::vector<Verdict> Run(std::vector<Frame*> frames, std::vector<uint16_t> ports, uint64_t now) {
    std::vector<uint8_t*> data;
    std::vector<uint32_t> len;
    for (Frame* f : frames) {
      data.push_back(f->data());
      len.push_back(static_cast<uint32_t>(f->size()));
    }
    std::vector<Verdict> v(frames.size());
    nat_->Process(data.data(), len.data(), ports.data(), static_cast<uint16_t>(frames.size()), now,
                  v.data());
    return v;
  }
  Verdict One(Frame& f, uint16_t port, uint64_t now) { return Run({&f}, {port}, now)[0]; }

  static Frame Out(const std::string& src, uint16_t sport, uint8_t proto = kIpProtoTcp) {
    PacketBuilder b;
    b.Ipv4(src, "198.51.100.1");
    if (proto == kIpProtoTcp) {
      b.Tcp(sport, 443);
    } else {
      b.Udp(sport, 443);
    }
    return b.Sequence(sport).FrameSize(100).Build();
  }
  static Frame Reply(uint16_t ext_port, uint8_t proto = kIpProtoTcp,
                     const std::string& from = "198.51.100.1", uint16_t from_port = 443) {
    PacketBuilder b;
    b.Ipv4(from, "203.0.113.7");
    if (proto == kIpProtoTcp) {
      b.Tcp(from_port, ext_port);
    } else {
      b.Udp(from_port, ext_port);
    }
    return b.Sequence(ext_port).FrameSize(100).Build();
  }
  static PacketKey KeyOf(const Frame& f) {
    PacketKey key;
    ParsePacket(f.data(), f.size(), &key);
    return key;
  }
  static std::string Addr(const uint8_t* a) {
    return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
           std::to_string(a[3]);
  }

  static inline int instances_ = 0;
  std::unique_ptr<Nat> nat_;
};

TEST_F(NatTableTest, TranslatesBothWays) {
  Make();
  Frame out = Out("10.0.0.1", 40000);
  ASSERT_EQ(One(out, kInside, 1), Verdict::kNext);
  EXPECT_EQ(CheckFrame(out), "");
  PacketKey k = KeyOf(out);
  EXPECT_EQ(Addr(k.src_addr), "203.0.113.7");
  EXPECT_EQ(k.src_port, 30000);
  EXPECT_EQ(Addr(k.dst_addr), "198.51.100.1");
  EXPECT_EQ(k.dst_port, 443);
  EXPECT_EQ(nat_->active_flows(), 1u);

  Frame back = Reply(30000);
  ASSERT_EQ(One(back, kOutside, 2), Verdict::kNext);
  EXPECT_EQ(CheckFrame(back), "");
  k = KeyOf(back);
  EXPECT_EQ(Addr(k.dst_addr), "10.0.0.1");
  EXPECT_EQ(k.dst_port, 40000);
  EXPECT_EQ(Addr(k.src_addr), "198.51.100.1");
  EXPECT_EQ(nat_->stats().outbound, 1u);
  EXPECT_EQ(nat_->stats().inbound, 1u);
}

TEST_F(NatTableTest, OneExternalPortPerFlowAndProtocol) {
  Make();
  Frame a = Out("10.0.0.1", 40000), b = Out("10.0.0.2", 40000), a2 = Out("10.0.0.1", 40000);
  Frame u = Out("10.0.0.1", 40000, kIpProtoUdp);
  // a and a2 are the same new flow in one burst: one mapping.
  auto v = Run({&a, &b, &a2, &u}, {kInside, kInside, kInside, kInside}, 1);
  EXPECT_THAT(v, ::testing::Each(Verdict::kNext));
  EXPECT_EQ(KeyOf(a).src_port, 30000);
  EXPECT_EQ(KeyOf(b).src_port, 30001);
  EXPECT_EQ(KeyOf(a2).src_port, 30000);
  EXPECT_EQ(KeyOf(u).src_port, 30000);  // UDP has its own ports
  EXPECT_EQ(nat_->active_flows(), 3u);
  Frame a3 = Out("10.0.0.1", 40000);
  ASSERT_EQ(One(a3, kInside, 2), Verdict::kNext);
  EXPECT_EQ(KeyOf(a3).src_port, 30000);
  EXPECT_EQ(nat_->stats().new_flows, 3u);
}

TEST_F(NatTableTest, DropsUnsolicitedAndForeignInbound) {
  Make();
  Frame out = Out("10.0.0.1", 40000);
  ASSERT_EQ(One(out, kInside, 1), Verdict::kNext);
  Frame unknown_port = Reply(30001);
  EXPECT_EQ(One(unknown_port, kOutside, 1), Verdict::kDrop);
  Frame out_of_range = Reply(80);
  EXPECT_EQ(One(out_of_range, kOutside, 1), Verdict::kDrop);
  Frame other_host = Reply(30000, kIpProtoTcp, "198.51.100.2");
  EXPECT_EQ(One(other_host, kOutside, 1), Verdict::kDrop);
  Frame other_port = Reply(30000, kIpProtoTcp, "198.51.100.1", 444);
  EXPECT_EQ(One(other_port, kOutside, 1), Verdict::kDrop);
  Frame wrong_proto = Reply(30000, kIpProtoUdp);
  EXPECT_EQ(One(wrong_proto, kOutside, 1), Verdict::kDrop);
  EXPECT_EQ(nat_->stats().dropped_unknown, 5u);
  // Not for the external address, or not TCP/UDP: passed untouched.
  Frame transit = PacketBuilder().Ipv4("198.51.100.1", "192.0.2.1").Udp(1, 2).Build();
  const Frame transit_copy = transit;
  EXPECT_EQ(One(transit, kOutside, 1), Verdict::kNext);
  EXPECT_EQ(transit, transit_copy);
  Frame icmp = PacketBuilder().Ipv4("10.0.0.1", "198.51.100.1").IpProto(1).FrameSize(60).Build();
  const Frame icmp_copy = icmp;
  EXPECT_EQ(One(icmp, kInside, 1), Verdict::kNext);
  EXPECT_EQ(icmp, icmp_copy);
  Frame v6 = PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Tcp(1, 2).Build();
  EXPECT_EQ(One(v6, kInside, 1), Verdict::kNext);
  EXPECT_EQ(nat_->stats().passed, 3u);
  // A fragment cannot be translated.
  Frame frag = Out("10.0.0.1", 40000);
  frag[14 + 6] = 0x20;
  EXPECT_EQ(One(frag, kInside, 1), Verdict::kDrop);
  EXPECT_EQ(nat_->stats().dropped_bad, 1u);
}

TEST_F(NatTableTest, IdleMappingsExpire) {
  Make(30000, 30099, /*timeout_s=*/10);
  Frame out = Out("10.0.0.1", 40000);
  ASSERT_EQ(One(out, kInside, 100), Verdict::kNext);
  // Traffic in either direction keeps the mapping alive.
  Frame r1 = Reply(30000);
  ASSERT_EQ(One(r1, kOutside, 109), Verdict::kNext);
  Frame r2 = Reply(30000);
  ASSERT_EQ(One(r2, kOutside, 118), Verdict::kNext);
  // 10 s of silence: the answer is refused and the port freed.
  Frame r3 = Reply(30000);
  EXPECT_EQ(One(r3, kOutside, 128), Verdict::kDrop);
  EXPECT_EQ(nat_->active_flows(), 0u);
  EXPECT_EQ(nat_->stats().expired, 1u);
  // The flow starts again with a new port (ports are reused oldest first).
  Frame again = Out("10.0.0.1", 40000);
  ASSERT_EQ(One(again, kInside, 129), Verdict::kNext);
  EXPECT_EQ(KeyOf(again).src_port, 30001);
}

TEST_F(NatTableTest, SweepFreesIdleMappingsWithoutTraffic) {
  Make(30000, 30099, /*timeout_s=*/10);
  for (uint16_t i = 0; i < 20; ++i) {
    Frame f = Out("10.0.0.1", static_cast<uint16_t>(40000 + i));
    ASSERT_EQ(One(f, kInside, 1), Verdict::kNext);
  }
  EXPECT_EQ(nat_->active_flows(), 20u);
  nat_->Expire(5, 64);
  EXPECT_EQ(nat_->active_flows(), 20u);
  nat_->Expire(11, 64);
  EXPECT_EQ(nat_->active_flows(), 0u);
}

TEST_F(NatTableTest, FullTableDropsNewFlowsUntilOneExpires) {
  Make(30000, 30001, /*timeout_s=*/10);  // two ports per protocol
  Frame a = Out("10.0.0.1", 1), b = Out("10.0.0.1", 2), c = Out("10.0.0.1", 3);
  ASSERT_EQ(One(a, kInside, 1), Verdict::kNext);
  ASSERT_EQ(One(b, kInside, 5), Verdict::kNext);
  EXPECT_EQ(One(c, kInside, 6), Verdict::kDrop);
  EXPECT_EQ(nat_->stats().dropped_full, 1u);
  // Once a's mapping has been idle long enough, c gets its port.
  Frame c2 = Out("10.0.0.1", 3);
  EXPECT_EQ(One(c2, kInside, 12), Verdict::kNext);
  EXPECT_EQ(KeyOf(c2).src_port, 30000);
}

TEST_F(NatTableTest, CapacityIsMaxFlows) {
  Make(20000, 29999, /*timeout_s=*/10, /*max_flows=*/16);
  int dropped = 0;
  for (uint16_t i = 0; i < 20; ++i) {
    Frame f = Out("10.0.0.1", static_cast<uint16_t>(1000 + i));
    dropped += One(f, kInside, 1) == Verdict::kDrop;
  }
  EXPECT_EQ(nat_->active_flows(), 16u);
  EXPECT_EQ(dropped, 4);
}

TEST_F(NatTableTest, NamesMustBeUnique) {
  Make();
  NatConfig c;
  c.max_flows = 64;
  auto dup = Nat::Create(c, "nat_test_" + std::to_string(instances_), SOCKET_ID_ANY, 1);
  EXPECT_FALSE(dup.ok());
}

}  // namespace
}  // namespace onvm::examples::nat
