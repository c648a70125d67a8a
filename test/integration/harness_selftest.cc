// Checks the parts of the test harness that need root: network namespaces,
// veth pairs, raw sockets and processes inside a namespace. If these fail,
// the engine's integration tests cannot be trusted either.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/harness.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

std::string NetnsList() { return RunCommand({"ip", "netns", "list"}).output; }

class HarnessSelfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, raw sockets)";
    auto ns = NetNs::Create();
    ASSERT_TRUE(ns.ok()) << ns.status();
    ns_ = std::move(*ns);
    ASSERT_TRUE(ns_->AddVethPair("veth0", "veth1").ok());
  }

  std::unique_ptr<RawSocket> Open(const std::string& ifname) {
    auto s = RawSocket::Open(*ns_, ifname);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::unique_ptr<NetNs> ns_;
};

TEST_F(HarnessSelfTest, NamespaceIsConfiguredAndRemoved) {
  const std::string name = ns_->name();
  EXPECT_THAT(NetnsList(), HasSubstr(name));
  CommandResult v6 = ns_->Exec({"sysctl", "-n", "net.ipv6.conf.veth0.disable_ipv6"});
  if (v6.ok()) {  // absent on kernels without IPv6
    EXPECT_EQ(v6.output, "1\n");
  }
  CommandResult link = ns_->Ip({"-o", "link", "show", "veth0"});
  ASSERT_TRUE(link.ok()) << link.output;
  EXPECT_THAT(link.output, HasSubstr("mtu 9000"));
  EXPECT_THAT(link.output, HasSubstr("state UP"));
  CommandResult features = ns_->Exec({"ethtool", "-k", "veth1"});
  ASSERT_TRUE(features.ok()) << features.output;
  EXPECT_THAT(features.output, HasSubstr("rx-vlan-offload: off"));
  EXPECT_THAT(features.output, HasSubstr("generic-receive-offload: off"));
  // No address of any kind on the veth ends.
  CommandResult addr = ns_->Ip({"-o", "addr", "show", "dev", "veth0"});
  EXPECT_THAT(addr.output, Not(HasSubstr("inet")));
  // Invisible from the root namespace.
  EXPECT_EQ(::if_nametoindex("veth0"), 0u);

  ns_.reset();
  EXPECT_THAT(NetnsList(), Not(HasSubstr(name)));
}

TEST_F(HarnessSelfTest, FrameCrossesVethPair) {
  auto tx = Open("veth0");
  auto rx = Open("veth1");
  ASSERT_TRUE(tx && rx);
  const Frame f = PacketBuilder()
                      .Ipv4("198.18.0.1", "198.19.0.1")
                      .Udp(1, 2)
                      .Sequence(77)
                      .FrameSize(100)
                      .Build();
  ASSERT_TRUE(tx->Send(f).ok());
  std::optional<Frame> got = rx->ReceiveOne(seconds(5));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, f);
  // The sender does not see its own frame; neither end sees anything else.
  EXPECT_TRUE(tx->Receive(milliseconds(200)).empty());
  EXPECT_TRUE(rx->Receive(milliseconds(200)).empty());
  auto rx_packets = ns_->LinkStat("veth1", "rx_packets");
  ASSERT_TRUE(rx_packets.ok()) << rx_packets.status();
  EXPECT_EQ(*rx_packets, 1u);
}

TEST_F(HarnessSelfTest, VlanTagSurvives) {
  auto tx = Open("veth0");
  auto rx = Open("veth1");
  ASSERT_TRUE(tx && rx);
  const Frame single =
      PacketBuilder().Vlan(42, 3).Ipv6("2001:db8::1", "2001:db8::2").Tcp(1, 2).Sequence(1).Build();
  const Frame qinq = PacketBuilder()
                         .Vlan(7, 0, 0x88a8)
                         .Vlan(42)
                         .Ipv4("198.18.0.1", "198.19.0.1")
                         .Udp(1, 2)
                         .Sequence(2)
                         .Build();
  ASSERT_TRUE(tx->SendAll({single, qinq}).ok());
  std::vector<Frame> got = rx->Receive(seconds(5), 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], single) << HexDump(got[0]);
  EXPECT_EQ(got[1], qinq) << HexDump(got[1]);
}

TEST_F(HarnessSelfTest, BulkTrafficArrivesInOrder) {
  auto tx = Open("veth0");
  auto rx = Open("veth1");
  ASSERT_TRUE(tx && rx);
  std::vector<Frame> frames = GenerateTraffic(3000, 42);
  // A jumbo frame fills the 9000-byte MTU.
  frames.push_back(PacketBuilder()
                       .Ipv4("198.18.0.1", "198.19.0.1")
                       .Udp(1, 2)
                       .Sequence(3000)
                       .FrameSize(9014)
                       .Build());
  ASSERT_TRUE(tx->SendAll(frames).ok());
  std::vector<Frame> got = rx->Receive(seconds(20), frames.size());
  ASSERT_EQ(got.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(SequenceOf(got[i]), static_cast<uint32_t>(i));
    ASSERT_EQ(got[i], frames[i]) << "frame " << i;
  }

  // What was received survives a pcap round trip.
  TempDir dir;
  ASSERT_TRUE(WritePcap(dir.File("rx.pcap"), got).ok());
  auto back = ReadPcap(dir.File("rx.pcap"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, frames);
}

TEST_F(HarnessSelfTest, SocketsAndThreadsInsideNamespace) {
  unsigned inside_index = 0;
  ASSERT_TRUE(ns_->RunInside([&] { inside_index = ::if_nametoindex("veth0"); }).ok());
  EXPECT_NE(inside_index, 0u);
  EXPECT_EQ(::if_nametoindex("veth0"), 0u);  // the thread is back home

  // A UDP socket on the namespace's loopback talks to itself.
  auto fd = ns_->OpenSocket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_TRUE(fd.ok()) << fd.status();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(*fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(::sendto(*fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 4);
  char buf[8] = {};
  EXPECT_EQ(::recv(*fd, buf, sizeof(buf), 0), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  ::close(*fd);
}

TEST_F(HarnessSelfTest, ProcessInsideNamespaceKeepsItsPid) {
  TempDir dir;
  ProcessOptions opts;
  opts.netns = ns_->name();
  auto p = Process::Start("sh", {"-c", "echo pid=$$; ip -o link show veth1; exec sleep 30"},
                          dir.File("inside.log"), opts);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE((*p)->WaitForLog("veth1", seconds(10))) << (*p)->Describe();
  EXPECT_THAT((*p)->Log(), HasSubstr("pid=" + std::to_string((*p)->pid()) + "\n"));
  EXPECT_TRUE((*p)->Running());
  const ExitStatus st = (*p)->Stop();
  EXPECT_EQ(st.signal, SIGTERM);
}

}  // namespace
}  // namespace onvm::testing
