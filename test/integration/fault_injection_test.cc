// Fault injection under continuous traffic (issue 10, item 3), through a
// real engine, agent and NFs. Each test says what must hold and checks it:
//
//  - several NFs killed at once: the engine lives, the instances are gone
//    within a second, the survivors carry every flow without loss once the
//    failure is handled, every mbuf comes back;
//  - the agent killed: not one packet is lost, and a new agent on the same
//    state directory and engine serves the same state and /metrics;
//  - the engine killed and started again under the same name: the agent
//    gives the new engine its desired state back (time measured), NFs
//    register again and traffic flows end to end; nothing the old engine
//    left behind gets in the way;
//  - an NF that dies while it registers: its slot is given back at once and
//    the service's traffic does not notice;
//  - clients that hang up in the middle of a call (gRPC streams, half an
//    HTTP/2 frame, half an HTTP request, half a control frame, garbage):
//    engine and agent keep serving, and nothing changes;
//  - malformed packets: counted as no_match, never in the way of the rest.
//
// (kill -9 of one NF holding packets, a slow NF and clean NF stops under
// config churn are in nf_failure_test and lossless_update_test.)
#include <arpa/inet.h>
#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "onvm/control_frame.h"
#include "onvm/engine/v1/control.pb.h"
#include "onvm/names.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/engine.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"
#include "stack_test.h"
#include "traffic.h"

namespace onvm::testing {
namespace {

using onvm::engine::v1::Request;
using onvm::engine::v1::Response;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// One service `fwd` in a chain from port in to port out, for the UDP flows
// of a TrafficStream only: anything else that arrives on `in` is a no_match.
constexpr char kForward[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: fwd}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: c}
spec: {services: [fwd], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: stream}
spec:
  priority: 10
  match: {inPort: in, ipProto: udp, srcPorts: "10000-10063"}
  action: {chain: c}
)";

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

// A client of the engine's control socket, speaking the framing by hand so
// that it can also send what a correct client never would.
class ControlClient {
 public:
  static std::unique_ptr<ControlClient> Connect(const std::string& path) {
    absl::StatusOr<int> fd = ConnectUnix(path);
    if (!fd.ok()) return nullptr;
    return std::unique_ptr<ControlClient>(new ControlClient(*fd));
  }
  ~ControlClient() { Close(); }

  bool SendRaw(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool Send(Request request) {
    request.set_seq(++seq_);
    return SendRaw(EncodeFrame(request));
  }
  absl::StatusOr<Response> Read(milliseconds timeout = seconds(2)) {
    Response r;
    if (absl::Status s = ReadFrame(fd_, &r, timeout); !s.ok()) return s;
    return r;
  }
  absl::StatusOr<Response> Call(Request request) {
    if (!Send(std::move(request))) return absl::UnavailableError("send failed");
    return Read();
  }
  // True once the engine has closed its end (EOF within `timeout`).
  bool ClosedByPeer(milliseconds timeout = seconds(2)) {
    const auto deadline = Clock::now() + timeout;
    char buf[256];
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
    }
    return false;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  explicit ControlClient(int fd) : fd_(fd) {}
  int fd_;
  uint64_t seq_ = 0;
};

Request GetStateRequest() {
  Request r;
  r.mutable_get_state();
  return r;
}

// A TCP connection to host:port; -1 on failure.
int ConnectTcp(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `bytes` on a new TCP connection to `host_port` and closes it.
bool SendAndHangUp(const std::string& host_port, std::string_view bytes) {
  const int fd = ConnectTcp(host_port);
  if (fd < 0) return false;
  const bool ok =
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  ::close(fd);
  return ok;
}

// Files in `dir` whose name starts with `prefix`.
int CountFiles(const std::string& dir, const std::string& prefix) {
  int n = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (absl::StartsWith(e->d_name, prefix)) ++n;
    }
    closedir(d);
  }
  return n;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

class FaultInjectionTest : public StackTest {
 protected:
  double NfRx(const std::string& service, uint32_t id) const {
    return Counter("onvm_nf_rx_packets_total",
                   {{"service", service}, {"instance", absl::StrCat(id)}});
  }

  // Instances as the agent lists them, by instance id.
  std::map<uint32_t, onvm::v1::InstanceStatus> Instances() const {
    std::map<uint32_t, onvm::v1::InstanceStatus> out;
    auto list = stack_->ListInstances();
    if (!list.ok()) return out;
    for (const auto& inst : list->items()) out[inst.status().instance_id()] = inst.status();
    return out;
  }
  std::optional<uint32_t> InstanceOf(const Process* p) const {
    for (const auto& [id, status] : Instances()) {
      if (status.pid() == p->pid()) return id;
    }
    return std::nullopt;
  }

  onvm::v1::EngineInfo GetEngine() const {
    auto stub = onvm::v1::Engine::NewStub(stack_->channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(2));
    onvm::v1::EngineInfo info;
    if (!stub->GetEngine(&ctx, {}, &info).ok()) return {};
    return info;
  }
  // Connected, and running the agent's desired state.
  bool EngineInSync() const {
    const onvm::v1::EngineInfo info = GetEngine();
    return info.connected() && info.applied_generation() == info.desired_generation();
  }

  // Services, chains and rules as the agent lists them, what is desired
  // only (status other than the id follows the NFs and the traffic); "" if
  // a call fails.
  std::string DesiredState() const {
    std::string out;
    grpc::ClientContext c1, c2, c3;
    for (auto* c : {&c1, &c2, &c3}) c->set_deadline(std::chrono::system_clock::now() + seconds(5));
    onvm::v1::ListServicesResponse services;
    if (!onvm::v1::Services::NewStub(stack_->channel())->ListServices(&c1, {}, &services).ok()) {
      return "";
    }
    onvm::v1::ListChainsResponse chains;
    if (!onvm::v1::Chains::NewStub(stack_->channel())->ListChains(&c2, {}, &chains).ok()) return "";
    onvm::v1::ListRulesResponse rules;
    if (!onvm::v1::Rules::NewStub(stack_->channel())->ListRules(&c3, {}, &rules).ok()) return "";
    auto only_id = [](auto* items) {
      for (auto& r : *items) {
        const uint32_t id = r.status().id();
        r.clear_status();
        r.mutable_status()->set_id(id);
      }
    };
    only_id(services.mutable_items());
    only_id(chains.mutable_items());
    only_id(rules.mutable_items());
    return services.DebugString() + chains.DebugString() + rules.DebugString();
  }

  std::string ControlSocket() const { return PathsForEngine(stack_->engine_name()).control_socket; }
  // The engine's own view (no agent cache in between).
  std::optional<onvm::engine::v1::EngineState> EngineState() const {
    auto client = ControlClient::Connect(ControlSocket());
    if (client == nullptr) return std::nullopt;
    auto r = client->Call(GetStateRequest());
    if (!r.ok() || r->code() != 0) return std::nullopt;
    return r->state();
  }
  bool EngineHasPid(int pid) const {
    auto st = EngineState();
    if (!st.has_value()) return false;
    for (const auto& i : st->instances()) {
      if (i.pid() == pid) return true;
    }
    return false;
  }

  // Every non-zero drop counter, for failure messages.
  std::string Drops() const {
    auto body = MetricsScrape(stack_->metrics_address());
    if (!body.ok()) return "(no /metrics)";
    std::string out = "drops:";
    for (const MetricSample& m : ParseMetrics(*body)) {
      if (m.value == 0 || !absl::StrContains(m.name, "dropped")) continue;
      absl::StrAppend(&out, " ", m.name, "{");
      for (const auto& [k, v] : m.labels) absl::StrAppend(&out, k, "=", v, ",");
      absl::StrAppend(&out, "}=", m.value);
    }
    return out + "\n";
  }

  // Every flow of `traffic` gets at least one more frame through.
  bool EveryFlowMoves(const TrafficStream& traffic, milliseconds limit) {
    std::vector<uint64_t> before(traffic.flows());
    for (uint32_t f = 0; f < traffic.flows(); ++f) before[f] = traffic.received(f);
    return TimeUntil(
               [&] {
                 for (uint32_t f = 0; f < traffic.flows(); ++f) {
                   if (traffic.received(f) <= before[f]) return false;
                 }
                 return true;
               },
               limit)
        .has_value();
  }

  // Runs a fresh stream until `frames` have come out, stops it and checks
  // that every frame sent came out once.
  void ExpectLosslessStream(uint64_t frames) {
    TrafficStream t(in_.get(), out_.get(), {.flows = 64});
    EXPECT_TRUE(TimeUntil([&] { return t.received() >= frames; }, seconds(20)))
        << t.received() << " of " << t.sent() << "\n"
        << stack_->Logs();
    t.Stop();
    EXPECT_EQ(t.received(), t.sent()) << Drops() << stack_->Logs();
    EXPECT_EQ(t.foreign(), 0u);
    for (uint32_t f = 0; f < t.flows(); ++f) EXPECT_GT(t.received(f), 0u) << "flow " << f;
  }
};

// kill -9 of three of five replicas, across both services of a chain, each
// victim holding a burst: the engine lives, the three instances are gone
// within a second, the two survivors carry every flow, and once traffic
// stops every mbuf is back in the pool.
TEST_F(FaultInjectionTest, SeveralNfsKilledAtOnceLeaveTheSurvivorsCarryingEveryFlow) {
  ASSERT_TRUE(stack_
                  ->Apply(R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: a}
spec: {replicas: 3}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: b}
spec: {replicas: 2}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: ab}
spec: {services: [a, b], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: all-in}
spec: {priority: 1, match: {inPort: in}, action: {chain: ab}}
)")
                  .ok());
  struct Nf {
    Nf(std::string s, bool v) : service(std::move(s)), victim(v) {}
    std::string service;
    bool victim;
    Process* process = nullptr;
    uint32_t id = 0;
    std::string hold;
  };
  std::vector<Nf> nfs = {{"a", true}, {"a", true}, {"a", false}, {"b", true}, {"b", false}};
  for (size_t i = 0; i < nfs.size(); ++i) {
    Nf& nf = nfs[i];
    std::vector<std::string> args;
    if (nf.victim) {
      nf.hold = stack_->tmp().File(absl::StrCat("hold-", i));
      args = {"--hold-file", nf.hold};
    }
    auto p = stack_->StartNf("onvm-test-nf", nf.service, args);
    ASSERT_TRUE(p.ok()) << p.status();
    nf.process = *p;
    std::optional<uint32_t> id = InstanceOf(nf.process);
    ASSERT_TRUE(id.has_value()) << stack_->Logs();
    nf.id = *id;
  }
  ASSERT_TRUE(TimeUntil([&] { return MbufsInUse().has_value(); }, seconds(10)))
      << "no onvm_mempool_mbufs_in_use metric\n"
      << stack_->Logs();
  const double baseline = *MbufsInUse();

  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  ASSERT_TRUE(TimeUntil(
      [&] {
        for (const Nf& nf : nfs) {
          if (NfRx(nf.service, nf.id) == 0) return false;
        }
        return true;
      },
      seconds(10)))
      << "not every replica got traffic\n"
      << stack_->Logs();

  // The victims stop with a burst in hand, then die together.
  for (const Nf& nf : nfs) {
    if (nf.victim) {
      ASSERT_TRUE(WriteFile(nf.hold, "hold\n"));
    }
  }
  int held = 0;
  for (const Nf& nf : nfs) {
    if (!nf.victim) continue;
    ASSERT_TRUE(TimeUntil([&] { return Exists(nf.hold + ".held"); }, seconds(10)).has_value())
        << nf.process->Describe();
    int n = 0;
    std::ifstream(nf.hold + ".held") >> n;
    held += n;
  }
  for (const Nf& nf : nfs) {
    if (nf.victim) {
      ASSERT_TRUE(nf.process->Signal(SIGKILL));
    }
  }
  const auto killed_at = Clock::now();
  for (const Nf& nf : nfs) {
    if (nf.victim) {
      ASSERT_TRUE(nf.process->WaitExit(seconds(5)).has_value());
    }
  }
  // How long the kernel took to tear the processes down (their sockets
  // close last, after their memory is unmapped).
  const int64_t exit_ms = MsSince(killed_at);

  // Gone from the engine at once, and from the agent's list within a second.
  ASSERT_TRUE(TimeUntil(
      [&] {
        auto st = EngineState();
        if (!st.has_value()) return false;
        for (const auto& i : st->instances()) {
          for (const Nf& nf : nfs) {
            if (nf.victim && i.instance_id() == nf.id) return false;
          }
        }
        return true;
      },
      seconds(5)));
  const int64_t engine_ms = MsSince(killed_at);
  ASSERT_TRUE(TimeUntil(
      [&] {
        auto listed = Instances();
        if (listed.size() != 2) return false;
        for (const Nf& nf : nfs) {
          if (nf.victim == (listed.count(nf.id) != 0)) return false;
        }
        return true;
      },
      seconds(5)))
      << stack_->Logs();
  const int64_t agent_ms = MsSince(killed_at);
  std::printf(
      "3 NFs killed: reaped after %ld ms, gone from the engine after %ld ms, from the agent's list "
      "after %ld ms\n",
      static_cast<long>(exit_ms), static_cast<long>(engine_ms), static_cast<long>(agent_ms));
  // Within a second of the processes' death (the kernel may take a while
  // to tear three DPDK processes down: their sockets close last).
  EXPECT_LE(engine_ms - exit_ms, 1000)
      << "instances still in the engine " << engine_ms - exit_ms << " ms after the NFs died";
  EXPECT_LE(agent_ms - exit_ms, 1000)
      << "instances still listed " << agent_ms - exit_ms << " ms after the NFs died";

  // Every flow comes out again, through the survivors.
  ASSERT_TRUE(EveryFlowMoves(traffic, seconds(10)))
      << "some flows never came back after 3 replicas died\n"
      << stack_->Logs();
  traffic.Stop();
  ASSERT_TRUE(stack_->engine().Running()) << stack_->Logs();
  EXPECT_EQ(traffic.foreign(), 0u);
  const double sent = static_cast<double>(traffic.sent());
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, sent))
      << "the engine did not read every frame sent\n"
      << Drops();

  // From now on the survivors carry everything, losing nothing.
  const double a_before = NfRx("a", nfs[2].id), b_before = NfRx("b", nfs[4].id);
  ExpectLosslessStream(5000);
  EXPECT_GE(NfRx("a", nfs[2].id) - a_before, 5000);
  EXPECT_GE(NfRx("b", nfs[4].id) - b_before, 5000);

  // Every mbuf is back, the ones the victims held included.
  EXPECT_TRUE(TimeUntil([&] { return MbufsInUse() == baseline; }, seconds(10)))
      << "mbufs in use " << MbufsInUse().value_or(-1) << ", baseline " << baseline << "\n"
      << stack_->Logs();
  EXPECT_GE(Counter("onvm_engine_dropped_packets_total", {{"reason", "nf_gone"}}), held);
  EXPECT_TRUE(nfs[2].process->Running());
  EXPECT_TRUE(nfs[4].process->Running());
  EXPECT_TRUE(stack_->engine().Running());
}

// kill -9 of the agent under traffic: the data path never notices (every
// frame sent before, during and after comes out), and a new agent on the
// same state directory and engine serves the same services, chains and
// rules, the same instances, and /metrics.
TEST_F(FaultInjectionTest, KilledAgentLosesNoPacketAndARestartedOneServesTheSameState) {
  ASSERT_TRUE(stack_->Apply(kForward).ok());
  ASSERT_TRUE(stack_
                  ->Apply(R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: spare}
spec: {replicas: 2, launch: {command: onvm-nf-forward, args: ["--x"], env: {A: b}}}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: spare-chain}
spec: {services: [spare, fwd], then: {drop: true}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: tcp-drop}
spec: {priority: 5, match: {inPort: in, ipProto: tcp}, action: {drop: true}}
)")
                  .ok());
  auto nf = stack_->StartNf("onvm-test-nf", "fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();
  const std::string before = DesiredState();
  ASSERT_NE(before, "");
  const onvm::v1::EngineInfo engine_before = GetEngine();
  ASSERT_TRUE(engine_before.connected());
  ASSERT_TRUE(stack_->WaitMetric("onvm_engine_up", {}, 1));

  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  ASSERT_TRUE(TimeUntil([&] { return traffic.received() > 1000; }, seconds(10))) << stack_->Logs();

  ASSERT_TRUE(stack_->agent().Signal(SIGKILL));
  ASSERT_TRUE(stack_->agent().WaitExit(seconds(5)).has_value());
  // Traffic keeps flowing with no agent at all.
  const uint64_t at_kill = traffic.received();
  EXPECT_TRUE(TimeUntil([&] { return traffic.received() > at_kill + 3000; }, seconds(10)))
      << stack_->Logs();
  EXPECT_FALSE(MetricsScrape(stack_->metrics_address(), seconds(1)).ok()) << "agent still serving?";

  const auto restart = Clock::now();
  ASSERT_TRUE(stack_->RestartAgent().ok()) << stack_->Logs();
  EXPECT_EQ(DesiredState(), before);
  ASSERT_TRUE(TimeUntil([&] { return EngineInSync(); }, seconds(10))) << stack_->Logs();
  const onvm::v1::EngineInfo engine_after = GetEngine();
  EXPECT_EQ(engine_after.boot_id(), engine_before.boot_id());
  EXPECT_EQ(engine_after.desired_generation(), engine_before.desired_generation());
  auto instances = Instances();
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances.begin()->second.pid(), (*nf)->pid());
  EXPECT_EQ(instances.begin()->second.state(), onvm::v1::InstanceStatus::RUNNING);
  // /metrics again, with the NF's counters still moving.
  ASSERT_TRUE(stack_->WaitMetric("onvm_engine_up", {}, 1)) << stack_->Logs();
  const double rx = NfRx("fwd", instances.begin()->first);
  EXPECT_TRUE(TimeUntil([&] { return NfRx("fwd", instances.begin()->first) > rx; }, seconds(5)));
  std::printf("restarted agent in sync with the engine and serving /metrics %ld ms after start\n",
              static_cast<long>(MsSince(restart)));

  // Some more traffic after the new agent re-applied its state.
  const uint64_t now = traffic.received();
  EXPECT_TRUE(TimeUntil([&] { return traffic.received() > now + 2000; }, seconds(10)));
  traffic.Stop(seconds(1));
  const double sent = static_cast<double>(traffic.sent());
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, sent));
  EXPECT_EQ(traffic.received(), traffic.sent()) << stack_->Logs();
  EXPECT_EQ(traffic.foreign(), 0u);
  EXPECT_TRUE(stack_->engine().Running());
  EXPECT_TRUE((*nf)->Running());
}

// kill -9 of the engine, then a new engine of the same name on the same
// ports: the old NF notices and exits, the agent notices, keeps serving its
// desired state and gives it to the new engine (time measured); a new NF
// registers and every flow comes out again. The old engine's socket file,
// stats segment and hugepage files do not get in the way, and a clean stop
// of the new engine removes them all.
TEST_F(FaultInjectionTest, RestartedEngineGetsTheDesiredStateBackAndTrafficFlowsAgain) {
  ASSERT_TRUE(stack_->Apply(kForward).ok());
  auto nf = stack_->StartNf("onvm-test-nf", "fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();
  const std::string desired = DesiredState();
  const onvm::v1::EngineInfo before = GetEngine();
  ASSERT_TRUE(before.connected());
  const EnginePaths paths = PathsForEngine(stack_->engine_name());
  const std::string hugepage_prefix = paths.file_prefix + "map_";

  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  ASSERT_TRUE(EveryFlowMoves(traffic, seconds(10))) << stack_->Logs();

  ASSERT_TRUE(stack_->engine().Signal(SIGKILL));
  ASSERT_TRUE(stack_->engine().WaitExit(seconds(5)).has_value());
  const auto killed_at = Clock::now();
  // What a kill -9 leaves behind, and what the new engine must cope with.
  EXPECT_TRUE(Exists(paths.control_socket));
  EXPECT_TRUE(Exists(paths.stats_path));
  const int hugepage_files = CountFiles("/dev/hugepages", hugepage_prefix);
  EXPECT_GT(hugepage_files, 0);

  // The NF loses its lease and exits by itself.
  std::optional<ExitStatus> nf_exit = (*nf)->WaitExit(seconds(5));
  ASSERT_TRUE(nf_exit.has_value()) << "NF still running 5 s after its engine died\n"
                                   << (*nf)->Describe();
  EXPECT_FALSE(nf_exit->ok());
  EXPECT_TRUE(absl::StrContains((*nf)->Log(), "went away")) << (*nf)->Describe();
  // The agent notices, and still serves its desired state.
  ASSERT_TRUE(TimeUntil([&] { return !GetEngine().connected(); }, seconds(5))) << stack_->Logs();
  EXPECT_EQ(DesiredState(), desired);

  const auto start = Clock::now();
  ASSERT_TRUE(stack_->RestartEngine().ok()) << stack_->Logs();
  const int64_t engine_up_ms = MsSince(start);
  std::optional<milliseconds> restored = TimeUntil(
      [&] {
        const onvm::v1::EngineInfo info = GetEngine();
        return info.connected() && info.boot_id() != before.boot_id() &&
               info.applied_generation() == before.desired_generation();
      },
      seconds(30));
  ASSERT_TRUE(restored.has_value()) << "the agent did not restore its state within 30 s\n"
                                    << stack_->Logs();
  std::printf(
      "engine restart: %d stale hugepage files; new engine up %ld ms after start (%ld ms after "
      "kill -9); desired state restored %ld ms after it came up\n",
      hugepage_files, static_cast<long>(engine_up_ms),
      static_cast<long>(std::chrono::duration_cast<milliseconds>(start - killed_at).count() +
                        engine_up_ms),
      static_cast<long>(restored->count()));
  EXPECT_EQ(DesiredState(), desired);
  ASSERT_TRUE(stack_->WaitMetric("onvm_engine_up", {}, 1)) << stack_->Logs();

  // An NF registers with the new engine and the chain works end to end.
  auto nf2 = stack_->StartNf("onvm-test-nf", "fwd");
  ASSERT_TRUE(nf2.ok()) << nf2.status();
  EXPECT_TRUE(EveryFlowMoves(traffic, seconds(10))) << stack_->Logs();
  traffic.Stop();
  EXPECT_EQ(traffic.foreign(), 0u);
  ExpectLosslessStream(5000);
  EXPECT_GT(NfRx("fwd", *InstanceOf(*nf2)), 5000);

  // A clean stop of the new engine leaves nothing behind, not even what
  // the killed one left.
  stack_->Stop();
  EXPECT_EQ(CountFiles("/dev/hugepages", hugepage_prefix), 0);
  EXPECT_FALSE(Exists(paths.stats_path));
  EXPECT_FALSE(Exists(paths.control_socket));
  EXPECT_FALSE(Exists("/var/run/dpdk/" + paths.file_prefix));
}

// An NF that goes away in the middle of registering: a client that
// registers and hangs up before NfReady, one that hangs up before even
// reading the reply, and a real NF killed -9 while attached to the
// engine's memory but not yet ready. Each time the slot comes back at once
// (the next NF gets the same instance id), the engine lives and the
// service's traffic loses nothing.
TEST_F(FaultInjectionTest, NfThatDiesDuringRegistrationGivesItsSlotBack) {
  ASSERT_TRUE(stack_->Apply(kForward).ok());
  auto nf = stack_->StartNf("onvm-test-nf", "fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();
  ASSERT_EQ(InstanceOf(*nf), 1u);
  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  ASSERT_TRUE(TimeUntil([&] { return traffic.received() > 500; }, seconds(10))) << stack_->Logs();

  auto state = EngineState();
  ASSERT_TRUE(state.has_value());
  auto register_request = [&](int pid) {
    Request r;
    auto* reg = r.mutable_register_nf();
    reg->set_service("fwd");
    reg->set_abi_version(state->abi_version());
    reg->set_dpdk_version(state->dpdk_version());
    reg->set_pid(pid);
    return r;
  };

  // 1. Registers, is listed as starting, hangs up.
  {
    auto client = ControlClient::Connect(ControlSocket());
    ASSERT_NE(client, nullptr);
    auto reply = client->Call(register_request(3'000'001));
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_EQ(reply->code(), 0) << reply->message();
    EXPECT_EQ(reply->register_nf().instance_id(), 2u);
    EXPECT_TRUE(TimeUntil(
        [&] {
          auto listed = Instances();
          return listed.count(2) != 0 && listed[2].state() == onvm::v1::InstanceStatus::STARTING &&
                 listed[2].pid() == 3'000'001;
        },
        seconds(3)))
        << "the agent never listed the starting instance";
    client->Close();
    const auto closed_at = Clock::now();
    EXPECT_TRUE(TimeUntil([&] { return !EngineHasPid(3'000'001); }, seconds(1)));
    EXPECT_TRUE(TimeUntil([&] { return Instances().count(2) == 0; }, seconds(2)));
    std::printf("registered, hung up: slot released and unlisted after %ld ms\n",
                static_cast<long>(MsSince(closed_at)));
  }
  // 2. Sends RegisterNf and hangs up without waiting for the reply.
  {
    auto client = ControlClient::Connect(ControlSocket());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send(register_request(3'000'002)));
    client->Close();
    EXPECT_TRUE(stack_->engine().WaitForLog("NF pid 3000002 registered", seconds(5)))
        << stack_->engine().Describe();
    EXPECT_TRUE(TimeUntil([&] { return !EngineHasPid(3'000'002); }, seconds(1)));
  }
  // 3. A real NF, killed while attached to the engine's shared memory but
  // before NfReady (held in its Init).
  {
    const std::string hold = stack_->tmp().File("init-hold");
    ASSERT_TRUE(WriteFile(hold, "hold\n"));
    auto victim = Process::Start(BinPath("onvm-test-nf"),
                                 {"--engine", stack_->engine_name(), "--service", "fwd",
                                  "--idle-sleep-us", "20", "--init-hold-file", hold},
                                 stack_->tmp().File("nf-init-victim.log"));
    ASSERT_TRUE(victim.ok()) << victim.status();
    ASSERT_TRUE(TimeUntil([&] { return Exists(hold + ".init"); }, seconds(20)))
        << (*victim)->Describe();
    auto listed = EngineState();
    ASSERT_TRUE(listed.has_value());
    bool starting = false;
    for (const auto& i : listed->instances()) {
      if (i.pid() == (*victim)->pid()) {
        starting = i.state() == onvm::engine::v1::InstanceInfo::STARTING;
        EXPECT_EQ(i.instance_id(), 2u);
      }
    }
    EXPECT_TRUE(starting) << listed->DebugString();
    ASSERT_TRUE((*victim)->Signal(SIGKILL));
    ASSERT_TRUE((*victim)->WaitExit(seconds(5)).has_value());
    const auto killed_at = Clock::now();
    EXPECT_TRUE(TimeUntil([&] { return !EngineHasPid((*victim)->pid()); }, seconds(1)))
        << stack_->engine().Describe();
    EXPECT_TRUE(TimeUntil([&] { return Instances().count(2) == 0; }, seconds(2)));
    std::printf("NF killed before NfReady: slot released and unlisted after %ld ms\n",
                static_cast<long>(MsSince(killed_at)));
  }

  // The service's traffic never noticed.
  traffic.Stop();
  const double sent = static_cast<double>(traffic.sent());
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, sent));
  EXPECT_EQ(traffic.received(), traffic.sent()) << stack_->Logs();
  EXPECT_EQ(traffic.foreign(), 0u);
  EXPECT_TRUE(stack_->engine().Running());
  EXPECT_TRUE((*nf)->Running());
  auto instances = Instances();
  EXPECT_EQ(instances.size(), 1u);

  // The slot is free for real: the next NF gets it, and carries traffic.
  auto nf2 = stack_->StartNf("onvm-test-nf", "fwd");
  ASSERT_TRUE(nf2.ok()) << nf2.status();
  EXPECT_EQ(InstanceOf(*nf2), 2u);
  ExpectLosslessStream(3000);
  EXPECT_GT(NfRx("fwd", 2), 0);
}

// gRPC and HTTP clients that hang up mid-call: a cancelled server-streaming
// Health.Watch, a bidirectional reflection stream cancelled with a request
// unanswered, an Apply abandoned by its client, raw TCP clients that send
// half the HTTP/2 preface or half a frame and close, or stay connected and
// say nothing, and /metrics clients that send half a request. The agent
// keeps serving everyone else, nothing changes, and traffic loses nothing.
TEST_F(FaultInjectionTest, ApiClientsThatHangUpMidCallLeaveTheAgentServing) {
  ASSERT_TRUE(stack_->Apply(kForward).ok());
  auto nf = stack_->StartNf("onvm-test-nf", "fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();
  const std::string before = DesiredState();
  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});

  // Streams on their own channel, so that tearing it down is a disconnect.
  {
    auto channel = grpc::CreateChannel(stack_->api_address(), grpc::InsecureChannelCredentials());
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext watch_ctx;
    grpc::health::v1::HealthCheckRequest req;
    auto watch = health->Watch(&watch_ctx, req);
    grpc::health::v1::HealthCheckResponse resp;
    // NOT_SERVING until the agent's reconciler has seen the engine run
    // the applied state; Watch sends each change.
    do {
      ASSERT_TRUE(watch->Read(&resp));
    } while (resp.status() != grpc::health::v1::HealthCheckResponse::SERVING);
    watch_ctx.TryCancel();
    EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);

    auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
    grpc::ClientContext refl_ctx;
    auto stream = reflection->ServerReflectionInfo(&refl_ctx);
    grpc::reflection::v1alpha::ServerReflectionRequest list;
    list.set_list_services("");
    ASSERT_TRUE(stream->Write(list));
    grpc::reflection::v1alpha::ServerReflectionResponse listed;
    ASSERT_TRUE(stream->Read(&listed));
    ASSERT_TRUE(stream->Write(list));  // left unanswered
    refl_ctx.TryCancel();
    stream->Finish();

    // A watch still open when the whole channel goes away.
    grpc::ClientContext abandoned_ctx;
    auto abandoned = health->Watch(&abandoned_ctx, req);
    ASSERT_TRUE(abandoned->Read(&resp));
    abandoned_ctx.TryCancel();
    abandoned->Finish();
  }
  // An Apply its client gives up on after 1 ms: big (20,000 services) and
  // invalid at the end, so whether or not the agent got to it, nothing may
  // change.
  {
    onvm::v1::ApplyRequest big;
    for (int i = 0; i < 20000; ++i) {
      auto* s = big.add_resources()->mutable_service();
      s->mutable_metadata()->set_name(absl::StrCat("svc-", i));
    }
    big.add_resources()->mutable_service()->mutable_metadata()->set_name("Not-A-Label");
    auto manifests = onvm::v1::Manifests::NewStub(stack_->channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(1));
    onvm::v1::ApplyResponse resp;
    EXPECT_FALSE(manifests->Apply(&ctx, big, &resp).ok());
  }
  // Raw TCP clients on the gRPC port.
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const std::string settings("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);
  EXPECT_TRUE(SendAndHangUp(stack_->api_address(), ""));
  EXPECT_TRUE(SendAndHangUp(stack_->api_address(), preface.substr(0, 10)));
  EXPECT_TRUE(SendAndHangUp(stack_->api_address(), preface + settings.substr(0, 5)));
  // A HEADERS frame announcing 16 KiB that never come.
  EXPECT_TRUE(SendAndHangUp(
      stack_->api_address(),
      preface + settings + std::string("\x00\x40\x00\x01\x04\x00\x00\x00\x01", 9) + "\x83\x86"));
  EXPECT_TRUE(SendAndHangUp(stack_->api_address(), std::string(1000, '\xff')));
  // Clients that connect and then say nothing, kept open while others call.
  std::vector<int> silent;
  for (int i = 0; i < 4; ++i) {
    silent.push_back(ConnectTcp(stack_->api_address()));
    silent.push_back(ConnectTcp(stack_->metrics_address()));
    ASSERT_GE(silent[silent.size() - 2], 0);
    ASSERT_GE(silent.back(), 0);
  }
  // Half an HTTP request on the metrics port, left open and closed.
  for (int i = 0; i < 4; ++i) {
    const int fd = ConnectTcp(stack_->metrics_address());
    ASSERT_GE(fd, 0);
    ::send(fd, "GET /metr", 9, MSG_NOSIGNAL);
    silent.push_back(fd);
  }
  EXPECT_TRUE(SendAndHangUp(stack_->metrics_address(), "GET /metrics HTTP/1.1\r\nHost: x"));

  // Everyone else is still served at once, and nothing changed.
  const auto t0 = Clock::now();
  EXPECT_EQ(DesiredState(), before);
  EXPECT_TRUE(EngineInSync());
  auto scrape = MetricsScrape(stack_->metrics_address(), seconds(5));
  EXPECT_TRUE(scrape.ok()) << scrape.status();
  const int64_t served_ms = MsSince(t0);
  std::printf("served List*, GetEngine and /metrics in %ld ms with %zu stalled connections open\n",
              static_cast<long>(served_ms), silent.size());
  EXPECT_LT(served_ms, 2000);
  for (int fd : silent) ::close(fd);
  EXPECT_TRUE(CommandResult(stack_->Onvmctl({"get", "services"})).ok());

  traffic.Stop();
  EXPECT_EQ(traffic.received(), traffic.sent()) << stack_->Logs();
  EXPECT_TRUE(stack_->agent().Running()) << stack_->Logs();
  EXPECT_TRUE(stack_->engine().Running()) << stack_->Logs();
}

// Control-socket clients that send half a frame, garbage, an oversized
// length, requests out of order or refused, or hang up before reading the
// reply, and a flood of connections: every malformed request gets an error
// that says what is wrong (or the connection is closed when the stream
// cannot be resynchronised); the engine keeps its configuration and its
// instances, keeps serving other clients, and traffic loses nothing.
TEST_F(FaultInjectionTest, ControlSocketClientsThatMisbehaveChangeNothing) {
  ASSERT_TRUE(stack_->Apply(kForward).ok());
  auto nf = stack_->StartNf("onvm-test-nf", "fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();
  auto before = EngineState();
  ASSERT_TRUE(before.has_value());
  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  const std::string socket = ControlSocket();

  auto connect = [&] {
    auto c = ControlClient::Connect(socket);
    EXPECT_NE(c, nullptr);
    return c;
  };
  // Half a length prefix; half a frame; a request whose reply is never read.
  connect()->SendRaw(std::string("\x10\x00", 2));
  connect()->SendRaw(std::string("\x64\x00\x00\x00", 4) + std::string(50, '\x08'));
  connect()->Send(GetStateRequest());
  {
    // A length over the limit: one error naming the limit, then hang-up.
    auto c = connect();
    ASSERT_TRUE(c->SendRaw(std::string("\xff\xff\xff\xff", 4)));
    auto r = c->Read();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
    EXPECT_TRUE(absl::StrContains(r->message(), "exceeds the limit")) << r->message();
    EXPECT_TRUE(c->ClosedByPeer());
  }
  {
    // A frame that is not a Request.
    auto c = connect();
    ASSERT_TRUE(c->SendRaw(std::string("\x05\x00\x00\x00\xff\xff\xff\xff\xff", 9)));
    auto r = c->Read();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
    EXPECT_TRUE(absl::StrContains(r->message(), "malformed request")) << r->message();
    EXPECT_TRUE(c->ClosedByPeer());
  }
  {
    // Well-framed requests that make no sense: each refused with a reason,
    // and the connection stays usable.
    auto c = connect();
    struct Case {
      Request request;
      absl::StatusCode code;
      std::string says;
    };
    std::vector<Case> cases;
    cases.push_back({Request(), absl::StatusCode::kInvalidArgument, "no body"});
    Request ready;
    ready.mutable_nf_ready();
    cases.push_back({ready, absl::StatusCode::kFailedPrecondition, "register_nf"});
    Request drain;
    drain.mutable_nf_drain();
    cases.push_back({drain, absl::StatusCode::kFailedPrecondition, "nf_ready"});
    Request unknown;
    unknown.mutable_register_nf()->set_service("nosuch");
    unknown.mutable_register_nf()->set_abi_version(before->abi_version());
    unknown.mutable_register_nf()->set_dpdk_version(before->dpdk_version());
    cases.push_back({unknown, absl::StatusCode::kNotFound, "nosuch"});
    Request old_abi = unknown;
    old_abi.mutable_register_nf()->set_service("fwd");
    old_abi.mutable_register_nf()->set_abi_version(before->abi_version() + 1000);
    cases.push_back({old_abi, absl::StatusCode::kFailedPrecondition, "version mismatch"});
    Request bad_config;
    bad_config.mutable_set_config()->set_generation(before->applied_generation() + 100);
    auto* chain = bad_config.mutable_set_config()->add_chains();
    chain->mutable_metadata()->set_name("x");
    chain->mutable_status()->set_id(1);
    chain->mutable_spec()->add_services("nosuch");
    chain->mutable_spec()->mutable_then()->set_drop(true);
    cases.push_back({bad_config, absl::StatusCode::kNotFound, "spec.services[0]"});
    for (const Case& k : cases) {
      auto r = c->Call(k.request);
      ASSERT_TRUE(r.ok()) << r.status() << " for " << k.request.ShortDebugString();
      EXPECT_EQ(r->code(), static_cast<int>(k.code)) << r->message();
      EXPECT_TRUE(absl::StrContains(r->message(), k.says))
          << r->message() << " for " << k.request.ShortDebugString();
    }
    auto r = c->Call(GetStateRequest());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->code(), 0);
  }
  // More connections than the engine takes, all at once, then gone.
  {
    std::vector<std::unique_ptr<ControlClient>> flood;
    for (int i = 0; i < 600; ++i) {
      auto c = ControlClient::Connect(socket);
      if (c != nullptr) flood.push_back(std::move(c));
    }
    EXPECT_GE(flood.size(), 500u);
  }

  // Nothing changed, and the engine serves new clients.
  std::optional<onvm::engine::v1::EngineState> after;
  ASSERT_TRUE(TimeUntil(
      [&] {
        after = EngineState();
        return after.has_value();
      },
      seconds(5)))
      << stack_->engine().Describe();
  EXPECT_EQ(after->applied_generation(), before->applied_generation());
  EXPECT_EQ(after->boot_id(), before->boot_id());
  ASSERT_EQ(after->instances_size(), 1) << after->DebugString();
  EXPECT_EQ(after->instances(0).pid(), (*nf)->pid());
  EXPECT_TRUE(TimeUntil([&] { return EngineInSync(); }, seconds(5)));

  traffic.Stop();
  const double sent = static_cast<double>(traffic.sent());
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, sent));
  EXPECT_EQ(traffic.received(), traffic.sent()) << stack_->Logs();
  EXPECT_TRUE(stack_->engine().Running()) << stack_->Logs();
  EXPECT_TRUE(stack_->agent().Running()) << stack_->Logs();
  EXPECT_TRUE((*nf)->Running());
}

// Malformed frames mixed into the stream (runts cut inside the Ethernet,
// IPv4 or L4 header, bad IPv4 versions and header lengths, truncated and bad
// IPv6 headers and extension headers, stacked VLAN tags, unknown ether
// types, all-zero and all-ones frames, a jumbo frame): the engine reads each
// one and counts it as no_match (the only rule takes the stream's UDP
// flows, and none of these carries a whole IPv4/UDP header with its ports),
// and the stream itself loses nothing. (IP fragments and a cut VLAN tag are
// not here: the kernel holds fragments for reassembly on the af_packet
// port and drops the cut tag before the engine could see either; the parser
// tests in test/common/packet_key_test.cc cover them.)
TEST_F(FaultInjectionTest, MalformedPacketsAreCountedAndNeverDisturbTheStream) {
  ASSERT_TRUE(stack_->Apply(kForward).ok());
  auto nf = stack_->StartNf("onvm-test-nf", "fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();

  std::vector<Frame> bad;
  const Frame udp = PacketBuilder().Udp(10000, 5000).FrameSize(128).Build();
  const Frame udp6 =
      PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Udp(10000, 5000).FrameSize(128).Build();
  // Runts: an Ethernet header and a few bytes of IPv4, up to a UDP header
  // that stops one byte short of the destination port.
  for (size_t n : {14, 15, 20, 33, 34, 36, 37}) bad.emplace_back(udp.begin(), udp.begin() + n);
  // IPv4 with a bad version, an IHL under 5, an IHL past the end of a short
  // frame.
  for (uint8_t first : {0x65, 0x43, 0x35}) {
    Frame f = udp;
    f[14] = first;
    bad.push_back(f);
  }
  {
    Frame f = udp;
    f[14] = 0x4f;
    f.resize(14 + 40);
    bad.push_back(f);
  }
  // IPv6: truncated header, bad version, a truncated extension header.
  bad.emplace_back(udp6.begin(), udp6.begin() + 40);
  {
    Frame f = udp6;
    f[14] = 0x45;
    bad.push_back(f);
    Frame g = udp6;
    g[20] = 0;              // hop-by-hop options header...
    g.resize(14 + 40 + 4);  // ...cut short
    bad.push_back(g);
  }
  // Three VLAN tags, an unknown ether type, all zeros, all ones, and a jumbo
  // frame of TCP, which no rule takes.
  bad.push_back(PacketBuilder()
                    .Vlan(1, 0, 0x88a8)
                    .Vlan(2, 0, 0x8100)
                    .Vlan(3, 0, 0x8100)
                    .Udp(10000, 5000)
                    .FrameSize(128)
                    .Build());
  bad.push_back(PacketBuilder().EtherType(0x1234).FrameSize(64).Build());
  bad.push_back(Frame(60, 0x00));
  bad.push_back(Frame(60, 0xff));
  bad.push_back(PacketBuilder().Tcp(10000, 5000).FrameSize(8000).Build());

  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  // Interleaved with the stream, several rounds.
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    for (const Frame& f : bad) ASSERT_TRUE(in_->Send(f).ok());
    std::this_thread::sleep_for(milliseconds(10));  // pacing, not synchronisation
  }
  traffic.Stop(seconds(1));
  const double malformed = static_cast<double>(bad.size() * kRounds);
  const double sent = static_cast<double>(traffic.sent()) + malformed;
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, sent))
      << Counter("onvm_port_rx_packets_total", {{"port", "in"}}) << " of " << sent << "\n"
      << stack_->Logs();
  EXPECT_EQ(Counter("onvm_port_dropped_packets_total", {{"port", "in"}, {"reason", "no_match"}}),
            malformed);
  EXPECT_EQ(traffic.received(), traffic.sent()) << stack_->Logs();
  EXPECT_EQ(traffic.foreign(), 0u);
  EXPECT_TRUE(stack_->engine().Running()) << stack_->Logs();
  EXPECT_TRUE((*nf)->Running());
}

// Bad flags on every binary's command line: each exits at once, before it
// touches DPDK, a socket or a state directory, with a message naming the
// flag. (The example NFs' own flags are in test/sdk/flags_test.cc, onvmctl's
// in test/cli/args_test.cc.)
TEST(BadFlagsTest, EveryBinaryRefusesBadFlagsNamingTheFlag) {
  TempDir dir;
  struct Case {
    std::string binary;
    std::vector<std::string> args;
    std::string says;
  };
  const std::string state = dir.File("state");
  const std::vector<Case> cases = {
      {"onvm-engine", {"--port", "a=net_null0"}, "--name is required"},
      {"onvm-engine", {"--name", "e"}, "at least one --port"},
      {"onvm-engine", {"--name", "Bad_Name", "--port", "a=net_null0"}, "--name"},
      {"onvm-engine", {"--name", std::string(40, 'e'), "--port", "a=net_null0"}, "--name"},
      {"onvm-engine", {"--name", "e", "--port", "a=net_null0", "--mbufs", "abc"}, "--mbufs"},
      {"onvm-engine", {"--name", "e", "--port", "a=net_null0", "--mbufs", "1"}, "--mbufs"},
      {"onvm-engine",
       {"--name", "e", "--port", "a=net_null0", "--ring-size", "1000"},
       "--ring-size"},
      {"onvm-engine",
       {"--name", "e", "--port", "a=net_null0", "--ring-size", "99999999999"},
       "--ring-size"},
      {"onvm-engine",
       {"--name", "e", "--port", "a=net_null0", "--socket-mem", "-1"},
       "--socket-mem"},
      {"onvm-engine",
       {"--name", "e", "--port", "a=net_null0", "--idle-sleep-us", "2000000"},
       "--idle-sleep-us"},
      // (No flag without its value at the very end: the ASan gate appends
      // EAL arguments after a "--".)
      {"onvm-engine", {"--name", "e", "--port"}, "--port"},
      {"onvm-engine", {"--name", "e", "--port", "a=net_null0", "--bogus"}, "--bogus"},
      {"onvm-nf-forward", {}, "--engine is required"},
      {"onvm-nf-forward", {"--engine", "e"}, "--service is required"},
      {"onvm-nf-forward", {"--engine", "Bad_Name", "--service", "s"}, "--engine"},
      {"onvm-nf-forward", {"--engine", "e", "--engine", "f", "--service", "s"}, "given twice"},
      {"onvm-nf-forward", {"--engine", "e", "--service", std::string(100, 's')}, "--service"},
      {"onvm-nf-forward", {"--engine", "e", "--service", "s", "--core", "99999"}, "--core"},
      {"onvm-nf-forward", {"--engine", "e", "--service", "s", "--core", "-1"}, "--core"},
      {"onvm-nf-forward",
       {"--engine", "e", "--service", "s", "--idle-sleep-us", "1000001"},
       "--idle-sleep-us"},
      {"onvm-nf-forward", {"--engine", "e", "--service", "s", "--idle-sleep-us"}, "needs a value"},
      {"onvm-nf-forward", {"--engine", "e", "--service", "s", "--bogus"}, "--bogus"},
      {"onvm-agent", {"--engine", "Bad_Name", "--state-dir", state}, "--engine"},
      {"onvm-agent", {"--engine", "e", "--state-dir", state, "--bogus"}, "bogus"},
      {"onvm-agent", {"--engine", "e", "--state-dir", state, "extra"}, "unexpected argument"},
      {"onvm-agent",
       {"--engine", "e", "--state-dir", state, "--metrics-listen", "no-port", "--listen",
        "unix:" + dir.File("a.sock")},
       "no-port"},
      {"onvm-agent",
       {"--engine", "e", "--state-dir", dir.File("state/lock/x"), "--listen",
        "unix:" + dir.File("a.sock")},
       "state"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {BinPath(c.binary)};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const CommandResult r = RunCommand(argv, seconds(20));
    EXPECT_FALSE(r.timed_out) << c.binary << " " << c.says;
    EXPECT_FALSE(r.status.ok()) << c.binary << " " << c.says << ": " << r.output;
    EXPECT_TRUE(r.status.exited) << r.status.ToString();
    EXPECT_TRUE(absl::StrContains(r.output, c.says))
        << c.binary << " should name " << c.says << ":\n"
        << r.output;
  }
}

}  // namespace
}  // namespace onvm::testing
