// End-to-end tests (issue 8, item 1): two network namespaces, a client and a
// server, joined only through onvm. Each holds the test side of one engine
// port (a veth pair whose other end the engine drives with net_af_packet,
// offloads off), with an IPv4 address, so the kernels' own TCP/IP stacks and
// real tools (iperf3, tcpdump, tcpreplay) make and see the traffic.
//
//   client ns: in1 10.0.0.1 <-> in0 [engine] out0 <-> out1 10.0.0.2 :server ns
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "harness/pcap.h"
#include "integration/stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kClientIp[] = "10.0.0.1";
constexpr char kServerIp[] = "10.0.0.2";

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    for (const char* tool : {"iperf3", "tcpdump", "tcpreplay"}) {
      ASSERT_TRUE(RunCommand({"sh", "-c", absl::StrCat("command -v ", tool)}).ok())
          << tool << " is not installed (bash scripts/setup.sh installs it)";
    }
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    auto client = NetNs::Create();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    auto server = NetNs::Create();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_NO_FATAL_FAILURE(MoveEnd("in1", *client_));
    ASSERT_NO_FATAL_FAILURE(MoveEnd("out1", *server_));
  }

  void TearDown() override {
    // Tools first (they run inside the namespaces), then the namespaces
    // (which deletes the veth pairs), then the stack.
    tools_.clear();
    client_.reset();
    server_.reset();
    stack_.reset();
  }

  // Moves the test side of an engine port into `ns`, at a normal MTU (the
  // engine's mbufs hold 1518-byte frames).
  void MoveEnd(const std::string& ifname, const NetNs& ns) {
    CommandResult r = stack_->netns().Ip({"link", "set", ifname, "netns", ns.name()});
    ASSERT_TRUE(r.ok()) << r.output;
    r = ns.Ip({"link", "set", ifname, "mtu", "1500", "up"});
    ASSERT_TRUE(r.ok()) << r.output;
  }

  void Address(const NetNs& ns, const std::string& ifname, const std::string& ip) {
    CommandResult r = ns.Ip({"addr", "add", absl::StrCat(ip, "/24"), "dev", ifname});
    ASSERT_TRUE(r.ok()) << r.output;
  }
  void Addresses() {
    ASSERT_NO_FATAL_FAILURE(Address(*client_, "in1", kClientIp));
    ASSERT_NO_FATAL_FAILURE(Address(*server_, "out1", kServerIp));
  }

  std::string Mac(const NetNs& ns, const std::string& ifname) {
    const std::string out =
        ns.Exec({"cat", absl::StrCat("/sys/class/net/", ifname, "/address")}).output;
    return std::string(absl::StripAsciiWhitespace(out));
  }

  // Starts a tool inside `ns`; stopped by pid in TearDown.
  Process* Tool(const NetNs& ns, const std::string& name, const std::vector<std::string>& args) {
    ProcessOptions options;
    options.netns = ns.name();
    auto p = Process::Start(
        name, args, absl::StrCat(stack_->tmp().path(), "/", name, "-", tools_.size(), ".log"),
        options);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return nullptr;
    tools_.push_back(*std::move(p));
    return tools_.back().get();
  }

  // An iperf3 server on `port` in the server namespace, once it listens.
  void IperfServer(int port) {
    ASSERT_NE(Tool(*server_, "iperf3", {"-s", "-p", absl::StrCat(port)}), nullptr);
    ASSERT_TRUE(WaitFor(
        [&] {
          return !server_->Exec({"ss", "-Hltn", absl::StrCat("sport = :", port)}).output.empty();
        },
        seconds(10)))
        << "iperf3 does not listen on " << port;
  }

  // Runs an iperf3 client from the client namespace.
  CommandResult IperfClient(int port, int seconds_to_run) {
    return client_->Exec({"iperf3", "-c", kServerIp, "-p", absl::StrCat(port), "-t",
                          absl::StrCat(seconds_to_run), "--connect-timeout", "2000", "-f", "m"},
                         seconds(seconds_to_run + 20));
  }

  // tcpdump inside `ns` on `ifname`, once it captures; its log holds one
  // line per packet.
  Process* Capture(const NetNs& ns, const std::string& ifname, const std::string& filter) {
    Process* p = Tool(ns, "tcpdump", {"-i", ifname, "-n", "-l", "-U", filter});
    if (p == nullptr) return nullptr;
    EXPECT_TRUE(
        WaitFor([&] { return absl::StrContains(ReadFileOrEmpty(p->log_path()), "listening on"); },
                seconds(10)))
        << ReadFileOrEmpty(p->log_path());
    return p;
  }

  double Counter(const std::string& name, const Labels& labels) const {
    return stack_->Metric(name, labels).value_or(0);
  }

  std::unique_ptr<Stack> stack_;
  std::unique_ptr<NetNs> client_;
  std::unique_ptr<NetNs> server_;
  std::vector<std::unique_ptr<Process>> tools_;
};

// Client to server through firewall -> monitor; the answers come straight
// back from out to in.
constexpr char kFirewallMonitor[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: fw}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: mon}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: guarded}
spec:
  services: [fw, mon]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-client}
spec:
  priority: 100
  match: {inPort: in}
  action: {chain: guarded}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-server}
spec:
  priority: 100
  match: {inPort: out}
  action: {out: in}
)";

TEST_F(E2eTest, Iperf3ThroughFirewallAndMonitorAndADeniedPort) {
  ASSERT_NO_FATAL_FAILURE(Addresses());
  ASSERT_TRUE(stack_->Apply(kFirewallMonitor).ok()) << stack_->Logs();
  ASSERT_TRUE(stack_->StartNf("onvm-nf-firewall", "fw", {"--deny", "proto tcp dport 5202"}).ok())
      << stack_->Logs();
  ASSERT_TRUE(stack_->StartNf("onvm-nf-monitor", "mon").ok()) << stack_->Logs();
  ASSERT_NO_FATAL_FAILURE(IperfServer(5201));
  ASSERT_NO_FATAL_FAILURE(IperfServer(5202));

  // A real TCP transfer, 5 s.
  CommandResult allowed = IperfClient(5201, 5);
  ASSERT_TRUE(allowed.ok()) << allowed.output << stack_->Logs();
  // "[  5]   0.00-5.00   sec  xxx MBytes  yyy Mbits/sec    receiver"
  double mbits = 0;
  for (absl::string_view line : absl::StrSplit(allowed.output, '\n')) {
    if (!absl::StrContains(line, "receiver")) continue;
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    for (size_t i = 1; i < words.size(); ++i) {
      if (words[i] == "Mbits/sec") {
        ASSERT_TRUE(absl::SimpleAtod(words[i - 1], &mbits)) << line;
      }
    }
  }
  std::printf("iperf3 through firewall -> monitor: %.1f Mbit/s (5 s, 1 stream)\n", mbits);
  EXPECT_GT(mbits, 0) << allowed.output;
  // The monitor saw the transfer's segments; the firewall dropped none yet.
  // Instance ids count up across services: fw is 1, mon 2.
  const Labels mon_tcp = {{"service", "mon"}, {"instance", "2"}, {"name", "tcp_packets"}};
  EXPECT_TRUE(WaitFor([&] { return Counter("onvm_nf_custom_total", mon_tcp) > 1000; }, seconds(5)))
      << Counter("onvm_nf_custom_total", mon_tcp);
  const Labels fw_drops = {{"service", "fw"}, {"instance", "1"}, {"reason", "handler"}};
  EXPECT_EQ(Counter("onvm_nf_dropped_packets_total", fw_drops), 0);

  // The denied port: the SYNs never arrive, the connection fails.
  CommandResult denied = IperfClient(5202, 1);
  EXPECT_FALSE(denied.ok()) << denied.output;
  EXPECT_GT(Counter("onvm_nf_dropped_packets_total", fw_drops), 0);
  // And the allowed one still works afterwards.
  CommandResult again = IperfClient(5201, 1);
  EXPECT_TRUE(again.ok()) << again.output;
}

TEST_F(E2eTest, NatRewritesTheSourceAddressSeenByTheServer) {
  constexpr char kExternalIp[] = "10.0.0.100";
  ASSERT_NO_FATAL_FAILURE(Addresses());
  // Nobody answers ARP for the external address; the server is told where
  // it is (the client's MAC: the engine passes frames through unchanged).
  CommandResult r = server_->Ip({"neigh", "add", kExternalIp, "lladdr", Mac(*client_, "in1"), "dev",
                                 "out1", "nud", "permanent"});
  ASSERT_TRUE(r.ok()) << r.output;
  ASSERT_TRUE(stack_->Apply(kNatChainsYaml).ok()) << stack_->Logs();
  ASSERT_TRUE(
      stack_->StartNf("onvm-nf-nat", "nat", {"--external-ip", kExternalIp, "--inside-port", "0"})
          .ok())
      << stack_->Logs();
  ASSERT_NO_FATAL_FAILURE(IperfServer(5201));
  Process* capture = Capture(*server_, "out1", "tcp port 5201");
  ASSERT_NE(capture, nullptr);

  CommandResult transfer = IperfClient(5201, 1);
  ASSERT_TRUE(transfer.ok()) << transfer.output << stack_->Logs();

  // Every segment the server received came from the external address; none
  // from the client's own.
  std::string seen;
  ASSERT_TRUE(WaitFor(
      [&] {
        seen = ReadFileOrEmpty(capture->log_path());
        return absl::StrContains(seen, absl::StrCat(kExternalIp, "."));
      },
      seconds(5)))
      << seen;
  size_t from_external = 0;
  for (absl::string_view line : absl::StrSplit(seen, '\n')) {
    if (!absl::StrContains(line, " IP ")) continue;
    // "12:00:00.000000 IP 10.0.0.100.40000 > 10.0.0.2.5201: Flags [S], ..."
    EXPECT_FALSE(absl::StrContains(line, absl::StrCat(" IP ", kClientIp, "."))) << line;
    if (absl::StrContains(line, absl::StrCat(" IP ", kExternalIp, "."))) ++from_external;
  }
  EXPECT_GT(from_external, 10u) << seen;
  std::printf("server captured %zu segments from %s\n", from_external, kExternalIp);
}

constexpr char kPortToPort[] = R"(
apiVersion: onvm/v1
kind: Rule
metadata: {name: across}
spec:
  priority: 100
  match: {inPort: in}
  action: {out: out}
)";

TEST_F(E2eTest, TcpreplayAtAFixedRateArrivesWholeAndTheCountersMatch) {
  // No addresses: the kernels send nothing of their own on these links, so
  // every frame counted is one of the trace's.
  constexpr size_t kFrames = 3000;
  ASSERT_TRUE(stack_->Apply(kPortToPort).ok()) << stack_->Logs();
  std::vector<Frame> frames;
  for (uint32_t i = 0; i < kFrames; ++i) {
    frames.push_back(PacketBuilder()
                         .Ipv4("192.0.2.1", "198.51.100.1")
                         .Udp(static_cast<uint16_t>(10000 + i % 100), 53)
                         .Sequence(i)
                         .FrameSize(64 + (i * 37) % 1400)
                         .Build());
  }
  const std::string trace = absl::StrCat(stack_->tmp().path(), "/trace.pcap");
  ASSERT_TRUE(WritePcap(trace, frames).ok());
  auto sink = RawSocket::Open(*server_, "out1");
  ASSERT_TRUE(sink.ok()) << sink.status();

  CommandResult replay =
      client_->Exec({"tcpreplay", "-i", "in1", "--pps", "3000", trace}, seconds(30));
  ASSERT_TRUE(replay.ok()) << replay.output;
  std::printf("%s\n", replay.output.c_str());

  std::set<uint32_t> seen;
  for (const Frame& f : (*sink)->Receive(seconds(5), kFrames)) {
    if (std::optional<uint32_t> seq = SequenceOf(f)) seen.insert(*seq);
  }
  EXPECT_EQ(seen.size(), kFrames);
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, kFrames));
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_tx_packets_total", {{"port", "out"}}, kFrames));
  EXPECT_TRUE(stack_->WaitMetric("onvm_rule_hits_total", {{"rule", "across"}}, kFrames))
      << stack_->Metric("onvm_rule_hits_total", {{"rule", "across"}}).value_or(-1);
  for (const char* reason : {"rx_missed", "tx_full", "no_match"}) {
    EXPECT_EQ(Counter("onvm_port_dropped_packets_total", {{"port", "in"}, {"reason", reason}}), 0)
        << reason;
  }
}

}  // namespace
}  // namespace onvm::testing
