// Tests of the parts of the harness that need neither root nor a network
// namespace. (test/integration/harness_selftest.cc covers the rest.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/harness.h"
#include "onvm/names.h"
#include "onvm/packet_key.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

// ---------------------------------------------------------------- util

TEST(UniqueNameTest, IsShortUniqueDnsLabel) {
  std::set<std::string> names;
  for (int i = 0; i < 100; ++i) {
    const std::string name = UniqueName();
    EXPECT_LT(name.size(), 20u) << name;
    EXPECT_TRUE(onvm::ValidateName("name", name).ok()) << name;
    EXPECT_EQ(name.rfind("test-", 0), 0u) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 100u);
  EXPECT_EQ(UniqueName("ns").rfind("ns-", 0), 0u);
}

TEST(WaitForTest, TrueWhenConditionBecomesTrue) {
  int calls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++calls == 3; }, seconds(5), milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(WaitForTest, FalseAtTimeout) {
  const auto start = std::chrono::steady_clock::now();
  int calls = 0;
  EXPECT_FALSE(WaitFor([&] { return ++calls < 0; }, milliseconds(50), milliseconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
  EXPECT_GE(calls, 2);
}

TEST(TempDirTest, CreatedAndRemoved) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    ASSERT_TRUE(WriteFile(dir.File("x.txt"), "hello"));
    std::filesystem::create_directories(dir.File("sub/deeper"));
    ASSERT_TRUE(WriteFile(dir.File("sub/deeper/y"), "y"));
    EXPECT_EQ(ReadFileOrEmpty(dir.File("x.txt")), "hello");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(FreeTcpPortTest, PortCanBeBound) {
  const uint16_t port = FreeTcpPort();
  ASSERT_NE(port, 0);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
}

TEST(BinPathTest, PointsIntoTheBuildTree) {
  const std::string path = BinPath("onvm-engine");
  EXPECT_THAT(path, ::testing::EndsWith("/bin/onvm-engine"));
  EXPECT_EQ(path[0], '/');
}

// ---------------------------------------------------------------- process

TEST(ProcessTest, CapturesOutputAndExitCode) {
  TempDir dir;
  ProcessOptions env_opts;
  env_opts.env = {"ONVM_X=from-env"};
  auto p = Process::Start("sh", {"-c", "echo hello; echo oops >&2; echo $ONVM_X; exit 3"},
                          dir.File("sh.log"), env_opts);
  ASSERT_TRUE(p.ok()) << p.status();
  std::optional<ExitStatus> st = (*p)->WaitExit(seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->exited);
  EXPECT_EQ(st->code, 3);
  EXPECT_FALSE(st->ok());
  EXPECT_FALSE((*p)->Running());
  EXPECT_EQ((*p)->Log(), "hello\noops\nfrom-env\n");
  EXPECT_EQ((*p)->Tail(2), "oops\nfrom-env\n");
  EXPECT_EQ((*p)->Tail(10), "hello\noops\nfrom-env\n");
  EXPECT_THAT((*p)->Describe(), HasSubstr("exit code 3"));
  EXPECT_FALSE((*p)->Signal(SIGTERM));  // reaped already
}

TEST(ProcessTest, SignalAndWait) {
  TempDir dir;
  auto p = Process::Start("sleep", {"30"}, dir.File("sleep.log"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE((*p)->Running());
  EXPECT_GT((*p)->pid(), 0);
  EXPECT_FALSE((*p)->WaitExit(milliseconds(20)).has_value());
  EXPECT_TRUE((*p)->Signal(SIGINT));
  std::optional<ExitStatus> st = (*p)->WaitExit(seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_FALSE(st->exited);
  EXPECT_EQ(st->signal, SIGINT);
  EXPECT_THAT(st->ToString(), HasSubstr("signal 2"));
}

TEST(ProcessTest, StopEscalatesToSigkill) {
  TempDir dir;
  // Ignores SIGTERM; the disposition survives exec.
  auto p = Process::Start("sh", {"-c", "trap '' TERM; echo ready; exec sleep 30"},
                          dir.File("stubborn.log"));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE((*p)->WaitForLog("ready", seconds(10)));
  const ExitStatus st = (*p)->Stop(milliseconds(200));
  EXPECT_FALSE(st.exited);
  EXPECT_EQ(st.signal, SIGKILL);
}

TEST(ProcessTest, DestructorStopsTheProcess) {
  TempDir dir;
  pid_t pid = 0;
  {
    auto p = Process::Start("sleep", {"30"}, dir.File("sleep.log"));
    ASSERT_TRUE(p.ok()) << p.status();
    pid = (*p)->pid();
  }
  // Reaped by the destructor: the pid no longer exists as our child.
  EXPECT_NE(::kill(pid, 0), 0);
}

// A test that dies without running destructors (crash, ctest timeout) must
// not leave its processes behind.
TEST(ProcessTest, ChildDiesWithItsParent) {
  TempDir dir;
  const std::string pid_file = dir.File("pid");
  // Orphans are re-parented to us, so that we can reap and inspect them.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    // Once it has printed, it runs with the death signal armed.
    auto p = Process::Start("sh", {"-c", "echo ready; exec sleep 30"}, dir.File("sleep.log"));
    if (!p.ok() || !(*p)->WaitForLog("ready", seconds(10)) ||
        !WriteFile(pid_file, std::to_string((*p)->pid()))) {
      ::_exit(1);
    }
    ::_exit(0);  // no destructors run
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(helper, &wstatus, 0), helper);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  const pid_t orphan = std::stoi(ReadFileOrEmpty(pid_file));
  ASSERT_EQ(::waitpid(orphan, &wstatus, 0), orphan);  // does not wait 30 s
  EXPECT_TRUE(WIFSIGNALED(wstatus));
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(ProcessTest, MissingBinaryIsNotFound) {
  TempDir dir;
  auto p = Process::Start("/nonexistent/onvm-nothing", {}, dir.File("x.log"));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(p.status().message(), HasSubstr("onvm-nothing"));
  auto q = Process::Start("sh", {}, "");
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProcessTest, WorkingDirectory) {
  TempDir dir;
  ProcessOptions opts;
  opts.cwd = dir.path();
  auto p = Process::Start("pwd", {}, dir.File("pwd.log"), opts);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE((*p)->WaitExit(seconds(10)).has_value());
  EXPECT_EQ((*p)->Log(), dir.path() + "\n");
}

TEST(RunCommandTest, OutputAndStatus) {
  CommandResult r = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 2"});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status.code, 2);
  EXPECT_THAT(r.output, HasSubstr("out\n"));
  EXPECT_THAT(r.output, HasSubstr("err\n"));
  EXPECT_TRUE(RunCommand({"true"}).ok());
}

TEST(RunCommandTest, Timeout) {
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = RunCommand({"sleep", "30"}, milliseconds(100));
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
}

TEST(RunCommandTest, MissingCommand) {
  CommandResult r = RunCommand({"onvm-no-such-command"});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.output, HasSubstr("onvm-no-such-command"));
}

// ---------------------------------------------------------------- packets

std::vector<uint8_t> Bytes(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<uint8_t> Slice(const Frame& f, size_t from, size_t to) {
  return std::vector<uint8_t>(f.begin() + static_cast<ptrdiff_t>(from),
                              f.begin() + static_cast<ptrdiff_t>(to));
}

TEST(PacketBuilderTest, Ipv4UdpMatchesReference) {
  // Reference bytes computed with scapy.
  std::vector<uint8_t> payload(87);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i);
  const Frame f =
      PacketBuilder().Ipv4("192.168.0.1", "192.168.0.199").Udp(1234, 53).Payload(payload).Build();
  ASSERT_EQ(f.size(), 129u);
  EXPECT_EQ(Slice(f, 0, 14), Bytes("0200000000020200000000010800"));
  EXPECT_EQ(Slice(f, 14, 34), Bytes("45000073000040004011b861c0a80001c0a800c7"));
  EXPECT_EQ(Slice(f, 34, 42), Bytes("04d20035005f0cd0"));
  EXPECT_EQ(CheckFrame(f), "");
}

TEST(PacketBuilderTest, Ipv6TcpMatchesReference) {
  const std::string hello = "hello world";
  const Frame f = PacketBuilder()
                      .Ipv6("2001:db8::1", "2001:db8::2")
                      .Tcp(40000, 443)
                      .Payload(std::vector<uint8_t>(hello.begin(), hello.end()))
                      .Build();
  ASSERT_EQ(f.size(), 85u);
  EXPECT_EQ(Slice(f, 54, 74), Bytes("9c4001bb00000000000000005018ffff24830000"));
  EXPECT_EQ(CheckFrame(f), "");
}

TEST(PacketBuilderTest, VlanQinQAndSequence) {
  const Frame f = PacketBuilder()
                      .Vlan(300, 0, 0x88a8)
                      .Vlan(42, 5)
                      .Ipv4("10.0.0.1", "10.0.0.2")
                      .Tcp(1, 2)
                      .Sequence(123456)
                      .FrameSize(200)
                      .Build();
  ASSERT_EQ(f.size(), 200u);
  EXPECT_EQ(Slice(f, 12, 22), Bytes("88a8012c8100a02a0800"));
  EXPECT_EQ(SequenceOf(f), 123456u);
  EXPECT_EQ(CheckFrame(f), "");
  onvm::PacketKey key;
  onvm::ParsePacket(f.data(), f.size(), &key);
  EXPECT_FALSE(key.malformed);
  EXPECT_TRUE(key.has_vlan);
  EXPECT_EQ(key.vlan_id, 300);
  EXPECT_EQ(key.ip_proto, onvm::kIpProtoTcp);
  EXPECT_EQ(key.dst_port, 2);
}

TEST(PacketBuilderTest, NonIpFrame) {
  const Frame f = PacketBuilder().EtherType(0x0806).Sequence(9).FrameSize(60).Build();
  ASSERT_EQ(f.size(), 60u);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x06);
  EXPECT_EQ(SequenceOf(f), 9u);
  EXPECT_EQ(CheckFrame(f), "");
}

TEST(PacketBuilderTest, CheckFrameFindsCorruption) {
  Frame f =
      PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Sequence(1).FrameSize(100).Build();
  ASSERT_EQ(CheckFrame(f), "");
  Frame payload_flip = f;
  payload_flip[80] ^= 0x40;
  EXPECT_EQ(CheckFrame(payload_flip), "bad UDP checksum");
  Frame header_flip = f;
  header_flip[14 + 8] ^= 1;  // TTL
  EXPECT_EQ(CheckFrame(header_flip), "bad IPv4 header checksum");
  Frame cut(f.begin(), f.begin() + 50);
  EXPECT_THAT(CheckFrame(cut), HasSubstr("does not fit"));
  EXPECT_EQ(SequenceOf(cut), std::nullopt);
}

TEST(GenerateTrafficTest, MixSizesAndValidity) {
  constexpr size_t kCount = 4000;
  const std::vector<Frame> frames = GenerateTraffic(kCount, 1);
  ASSERT_EQ(frames.size(), kCount);
  size_t vlan = 0, v6 = 0, tcp = 0, min_size = 100000, max_size = 0;
  std::set<std::pair<uint16_t, uint32_t>> flows;
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = frames[i];
    ASSERT_GE(f.size(), 64u);
    ASSERT_LE(f.size(), 1518u);
    min_size = std::min(min_size, f.size());
    max_size = std::max(max_size, f.size());
    ASSERT_EQ(CheckFrame(f), "") << "frame " << i << "\n" << HexDump(f);
    ASSERT_EQ(SequenceOf(f), static_cast<uint32_t>(i));
    EXPECT_EQ(f[0] & 1, 0) << "destination MAC must be unicast";
    onvm::PacketKey key;
    onvm::ParsePacket(f.data(), f.size(), &key);
    ASSERT_FALSE(key.malformed) << "frame " << i;
    ASSERT_TRUE(key.has_l4_ports);
    vlan += key.has_vlan;
    v6 += key.ip_version == 6;
    tcp += key.ip_proto == onvm::kIpProtoTcp;
    if (key.has_vlan) {
      EXPECT_EQ(key.vlan_id, 100);
    }
    flows.insert({key.src_port, key.ip_version});
  }
  EXPECT_LE(min_size, 70u);
  EXPECT_GE(max_size, 1500u);
  EXPECT_NEAR(static_cast<double>(vlan) / kCount, 0.25, 0.04);
  EXPECT_NEAR(static_cast<double>(v6) / kCount, 0.5, 0.05);
  EXPECT_NEAR(static_cast<double>(tcp) / kCount, 0.5, 0.05);
  EXPECT_GT(flows.size(), 400u);  // 256 flows, each as IPv4 and IPv6
}

TEST(GenerateTrafficTest, DeterministicPerSeed) {
  EXPECT_EQ(GenerateTraffic(50, 7), GenerateTraffic(50, 7));
  EXPECT_NE(GenerateTraffic(50, 7), GenerateTraffic(50, 8));
  TrafficOptions opts;
  opts.first_sequence = 1000;
  opts.min_size = opts.max_size = 128;
  opts.vlan_fraction = 0;
  for (const Frame& f : GenerateTraffic(10, 1, opts)) {
    EXPECT_EQ(f.size(), 128u);
    EXPECT_GE(SequenceOf(f).value_or(0), 1000u);
    EXPECT_NE(f[12], 0x81);
  }
}

// ---------------------------------------------------------------- pcap

TEST(PcapTest, RoundTrip) {
  TempDir dir;
  const std::vector<Frame> frames = GenerateTraffic(200, 3);
  ASSERT_TRUE(WritePcap(dir.File("t.pcap"), frames).ok());
  auto back = ReadPcap(dir.File("t.pcap"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, frames);
  auto records = ReadPcapRecords(dir.File("t.pcap"));
  ASSERT_TRUE(records.ok());
  EXPECT_EQ((*records)[5].timestamp_ns, 5000u);
  EXPECT_EQ((*records)[5].original_length, frames[5].size());
}

TEST(PcapTest, ReadsNanosecondBigEndianFiles) {
  TempDir dir;
  // Big-endian, nanosecond magic, one 4-byte record at 1 s + 7 ns.
  const std::vector<uint8_t> file = Bytes(
      "a1b23c4d00020004000000000000000000010000"
      "00000001"
      "00000001"
      "00000007"
      "00000004"
      "0000003c"
      "deadbeef");
  ASSERT_TRUE(WriteFile(dir.File("be.pcap"), std::string(file.begin(), file.end())));
  auto records = ReadPcapRecords(dir.File("be.pcap"));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].timestamp_ns, 1000000007u);
  EXPECT_EQ((*records)[0].original_length, 60u);
  EXPECT_EQ((*records)[0].frame, Bytes("deadbeef"));
}

TEST(PcapTest, RejectsDamagedFiles) {
  TempDir dir;
  ASSERT_TRUE(WritePcap(dir.File("ok.pcap"), GenerateTraffic(3, 1)).ok());
  const std::string good = ReadFileOrEmpty(dir.File("ok.pcap"));

  ASSERT_TRUE(WriteFile(dir.File("cut.pcap"), good.substr(0, good.size() - 1)));
  EXPECT_EQ(ReadPcap(dir.File("cut.pcap")).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(WriteFile(dir.File("cuthdr.pcap"), good.substr(0, 24 + 10)));
  EXPECT_EQ(ReadPcap(dir.File("cuthdr.pcap")).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(WriteFile(dir.File("short.pcap"), good.substr(0, 10)));
  EXPECT_EQ(ReadPcap(dir.File("short.pcap")).status().code(), absl::StatusCode::kDataLoss);
  std::string bad_magic = good;
  bad_magic[0] = 'x';
  ASSERT_TRUE(WriteFile(dir.File("magic.pcap"), bad_magic));
  EXPECT_EQ(ReadPcap(dir.File("magic.pcap")).status().code(), absl::StatusCode::kDataLoss);
  std::string huge = good;
  huge[24 + 8] = '\xff';
  huge[24 + 9] = '\xff';
  huge[24 + 10] = '\xff';
  ASSERT_TRUE(WriteFile(dir.File("huge.pcap"), huge));
  EXPECT_EQ(ReadPcap(dir.File("huge.pcap")).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadPcap(dir.File("missing.pcap")).status().code(), absl::StatusCode::kNotFound);

  // An empty capture is fine.
  ASSERT_TRUE(WritePcap(dir.File("empty.pcap"), {}).ok());
  auto empty = ReadPcap(dir.File("empty.pcap"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// ---------------------------------------------------------------- metrics

constexpr char kExposition[] = R"(# HELP onvm_port_rx_packets_total Packets received.
# TYPE onvm_port_rx_packets_total counter
onvm_port_rx_packets_total{port="wan"} 1234
onvm_port_rx_packets_total{port="lan"} 5
onvm_nf_dropped_packets_total{service="fw",instance="3",reason="ring_full"} 7 1700000000000
onvm_chain_latency_seconds_bucket{chain="web",le="+Inf"} 42
onvm_chain_latency_seconds_bucket{chain="web",le="1e-05"} 1.5e+01
onvm_weird{msg="a \"quoted\" \\ value, {with} = signs"} -3
onvm_engine_up 1
this is not a sample
)";

TEST(MetricsTest, ParseMetricExactLabels) {
  EXPECT_EQ(ParseMetric(kExposition, "onvm_port_rx_packets_total", {{"port", "wan"}}), 1234);
  EXPECT_EQ(ParseMetric(kExposition, "onvm_port_rx_packets_total", {{"port", "lan"}}), 5);
  EXPECT_EQ(ParseMetric(kExposition, "onvm_port_rx_packets_total", {{"port", "x"}}), std::nullopt);
  EXPECT_EQ(ParseMetric(kExposition, "onvm_port_rx_packets_total"), std::nullopt);
  EXPECT_EQ(ParseMetric(kExposition, "onvm_nf_dropped_packets_total",
                        {{"service", "fw"}, {"instance", "3"}, {"reason", "ring_full"}}),
            7);
  // A subset of the labels is not a match.
  EXPECT_EQ(ParseMetric(kExposition, "onvm_nf_dropped_packets_total", {{"service", "fw"}}),
            std::nullopt);
  EXPECT_EQ(ParseMetric(kExposition, "onvm_chain_latency_seconds_bucket",
                        {{"chain", "web"}, {"le", "1e-05"}}),
            15);
  EXPECT_EQ(ParseMetric(kExposition, "onvm_chain_latency_seconds_bucket",
                        {{"chain", "web"}, {"le", "+Inf"}}),
            42);
  EXPECT_EQ(
      ParseMetric(kExposition, "onvm_weird", {{"msg", "a \"quoted\" \\ value, {with} = signs"}}),
      -3);
  EXPECT_EQ(ParseMetric(kExposition, "onvm_engine_up"), 1);
  EXPECT_EQ(ParseMetric(kExposition, "onvm_engine"), std::nullopt);
  std::vector<std::string> errors;
  EXPECT_EQ(ParseMetrics(kExposition, &errors).size(), 7u);
  EXPECT_EQ(errors.size(), 1u);
}

TEST(MetricsTest, SpecialValues) {
  const std::string body = "a +Inf\nb -Inf\nc NaN\n";
  EXPECT_TRUE(std::isinf(*ParseMetric(body, "a")));
  EXPECT_LT(*ParseMetric(body, "b"), 0);
  EXPECT_TRUE(std::isnan(*ParseMetric(body, "c")));
}

// Serves one canned HTTP response on 127.0.0.1 and records the request.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      while (request_.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request_.append(buf, static_cast<size_t>(n));
      }
      (void)!::send(c, response_.data(), response_.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& request() const { return request_; }

 private:
  std::string response_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

TEST(MetricsTest, ScrapeContentLength) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 16\r\n\r\n"
      "onvm_engine_up 1");
  auto body = MetricsScrape(server.address());
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "onvm_engine_up 1");
  EXPECT_EQ(ParseMetric(*body, "onvm_engine_up"), 1);
  EXPECT_THAT(server.request(), ::testing::StartsWith("GET /metrics HTTP/1.0\r\n"));
}

TEST(MetricsTest, ScrapeChunked) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nonvm_\r\nb\r\nengine_up 2\r\n0\r\n\r\n");
  auto body = MetricsScrape(server.address());
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "onvm_engine_up 2");
}

TEST(MetricsTest, ScrapeErrors) {
  {
    OneShotServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope");
    auto body = MetricsScrape(server.address());
    EXPECT_FALSE(body.ok());
    EXPECT_THAT(body.status().message(), HasSubstr("404"));
  }
  {
    OneShotServer server("garbage");
    EXPECT_FALSE(MetricsScrape(server.address()).ok());
  }
  const uint16_t port = FreeTcpPort();
  EXPECT_FALSE(MetricsScrape("127.0.0.1:" + std::to_string(port)).ok());
  EXPECT_FALSE(MetricsScrape("no-port").ok());
}

}  // namespace
}  // namespace onvm::testing
