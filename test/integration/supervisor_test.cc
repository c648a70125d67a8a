// The agent's supervisor through a real engine, agent and NF processes: a
// service with a launch spec gets one pinned process per replica, a killed
// replica starts again with backoff (visible in the service's status and as
// events), scale-down drains before it stops, a replica that ignores
// SIGTERM is killed after its grace period, and a restarted agent adopts the
// replicas its predecessor started instead of starting more.
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "harness/harness.h"
#include "onvm/v1/event.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"
#include "stack.h"
#include "stack_test.h"
#include "traffic.h"

namespace onvm::testing {
namespace {

using onvm::v1::ReplicaStatus;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Chain `through` = [fwd] then out of `out`, and the rule sending all of
// `in` into it: what kForwardChainYaml has besides its service.
constexpr char kThroughChainYaml[] = R"(---
apiVersion: onvm/v1
kind: Chain
metadata: {name: through}
spec: {services: [fwd], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec: {priority: 100, match: {inPort: in}, action: {chain: through}}
)";

// The CPUs `pid` may run on, as the kernel lists them ("1", "0-3").
std::string CpusAllowed(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "Cpus_allowed_list:")) {
      const size_t start = line.find_first_not_of(" \t", line.find(':') + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "";
}

class SupervisorTest : public StackTest {
 protected:
  void TearDown() override {
    // Replicas outlive a stopped agent by design; the test started them
    // (through the agent), so it stops them, by pid.
    for (pid_t pid : pids_seen_) {
      if (Alive(pid)) ::kill(pid, SIGKILL);
    }
  }

  onvm::v1::Service GetService(const std::string& name) {
    auto stub = onvm::v1::Services::NewStub(stack_->channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(5));
    onvm::v1::GetServiceRequest req;
    req.set_name(name);
    onvm::v1::Service out;
    grpc::Status st = stub->GetService(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    for (const auto& r : out.status().replicas()) {
      if (r.pid() > 0) pids_seen_.insert(r.pid());
    }
    return out;
  }

  // The replicas once `n` of them run (each registered with the engine).
  std::vector<ReplicaStatus> WaitRunning(const std::string& service, int n,
                                         milliseconds limit = seconds(20)) {
    std::vector<ReplicaStatus> running;
    TimeUntil(
        [&] {
          running.clear();
          const onvm::v1::Service s = GetService(service);
          for (const auto& r : s.status().replicas()) {
            if (r.state() == ReplicaStatus::RUNNING) running.push_back(r);
          }
          return static_cast<int>(running.size()) == n && s.status().replicas_size() == n;
        },
        limit);
    return running;
  }

  // Every event of `service` so far.
  std::vector<onvm::v1::Event> Events(const std::string& service) {
    auto stub = onvm::v1::Events::NewStub(stack_->channel());
    grpc::ClientContext ctx;
    // The retained events come at once; the deadline ends the live part.
    ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(1000));
    onvm::v1::WatchEventsRequest req;
    req.set_since_sequence(0);
    req.mutable_filter()->add_names(service);
    auto stream = stub->WatchEvents(&ctx, req);
    std::vector<onvm::v1::Event> out;
    onvm::v1::Event e;
    while (stream->Read(&e)) out.push_back(e);
    return out;
  }

  std::string ServiceYaml(const std::string& name, int replicas, const std::string& command,
                          const std::string& extra_spec = "") {
    return absl::StrCat(R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: )",
                        name, R"(}
spec:
  replicas: )",
                        replicas, R"(
  launch: {command: )",
                        command, R"(, args: ["--idle-sleep-us", "20"], gracePeriodSeconds: 2}
)",
                        extra_spec);
  }

  std::set<pid_t> pids_seen_;
};

TEST_F(SupervisorTest, ReplicasArePinnedRestartedWithBackoffAndDrainedOnScaleDown) {
  const bool two_cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
  const std::string placement = two_cpus ? "  placement: {cores: [1, 0]}\n" : "";
  ASSERT_TRUE(stack_
                  ->Apply(absl::StrCat(ServiceYaml("fwd", 2, BinPath("onvm-nf-forward"), placement),
                                       kThroughChainYaml))
                  .ok())
      << stack_->Logs();

  std::vector<ReplicaStatus> replicas = WaitRunning("fwd", 2);
  ASSERT_EQ(replicas.size(), 2u) << GetService("fwd").DebugString() << stack_->Logs();
  auto instances = stack_->ListInstances();
  ASSERT_TRUE(instances.ok()) << instances.status();
  for (const ReplicaStatus& r : replicas) {
    EXPECT_TRUE(Alive(r.pid()));
    EXPECT_NE(r.instance_id(), 0u);
    if (two_cpus) {
      // Replica i polls on cores[i % 2], is pinned there, and its instance
      // says so.
      const int core = r.index() == 0 ? 1 : 0;
      EXPECT_EQ(r.core(), core);
      EXPECT_EQ(CpusAllowed(r.pid()), absl::StrCat(core)) << "replica " << r.index();
      int cpu = -2;
      for (const auto& inst : instances->items()) {
        if (inst.status().pid() == r.pid()) cpu = inst.status().cpu();
      }
      EXPECT_EQ(cpu, core) << instances->DebugString();
    }
  }
  const ReplicaStatus victim = replicas[0].index() == 0 ? replicas[0] : replicas[1];

  // kill -9: started again after the first backoff (1 s), with a new pid.
  ASSERT_EQ(::kill(victim.pid(), SIGKILL), 0);
  ASSERT_TRUE(TimeUntil(
      [&] {
        const onvm::v1::Service s = GetService("fwd");
        for (const auto& r : s.status().replicas()) {
          if (r.index() == 0 && r.restarts() == 1 && r.state() == ReplicaStatus::RUNNING &&
              r.pid() != victim.pid()) {
            EXPECT_EQ(r.last_exit(), "killed by signal 9 (Killed)");
            return true;
          }
        }
        return false;
      },
      seconds(20)))
      << GetService("fwd").DebugString() << stack_->Logs();
  bool crash_event = false;
  for (const auto& e : Events("fwd")) {
    if (e.type() == onvm::v1::Event::REPLICA_CRASHED) {
      crash_event = true;
      EXPECT_TRUE(absl::StrContains(e.message(), "killed by signal 9")) << e.message();
      EXPECT_TRUE(absl::StrContains(e.message(), "starting it again in 1 s")) << e.message();
    }
  }
  EXPECT_TRUE(crash_event);
  EXPECT_EQ(stack_->Metric("onvm_replica_restarts_total", {{"service", "fwd"}, {"replica", "0"}}),
            1.0);
  EXPECT_EQ(stack_->Metric("onvm_replica_restarts_total", {{"service", "fwd"}, {"replica", "1"}}),
            0.0);
  EXPECT_TRUE(stack_->WaitMetric("onvm_replica_running", {{"service", "fwd"}, {"replica", "0"}}, 1))
      << stack_->Logs();

  // Scale-down under traffic: replica 1 drains first, so nothing is lost.
  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  ASSERT_TRUE(TimeUntil([&] { return traffic.received() > 2000; }, seconds(10))) << stack_->Logs();
  const pid_t leaving = GetService("fwd").status().replicas(1).pid();
  const CommandResult scaled =
      stack_->Onvmctl({"scale", "service", "fwd", "--replicas", "1", "--wait"});
  ASSERT_TRUE(scaled.ok()) << scaled.output;
  ASSERT_TRUE(
      TimeUntil([&] { return GetService("fwd").status().replicas_size() == 1; }, seconds(15)))
      << GetService("fwd").DebugString() << stack_->Logs();
  EXPECT_FALSE(Alive(leaving));
  const uint64_t after_scale = traffic.received();
  ASSERT_TRUE(TimeUntil([&] { return traffic.received() > after_scale + 2000; }, seconds(10)))
      << "the remaining replica carries the traffic\n"
      << stack_->Logs();
  traffic.Stop();
  EXPECT_EQ(traffic.received(), traffic.sent()) << "scale-down lost packets\n" << stack_->Logs();
  bool stop_event = false;
  for (const auto& e : Events("fwd")) {
    if (e.type() == onvm::v1::Event::REPLICA_STOPPED) {
      stop_event = true;
      EXPECT_TRUE(absl::StrContains(e.message(), "exit code 0")) << e.message();
    }
  }
  EXPECT_TRUE(stop_event);

  // Scale to zero: no replica process is left.
  ASSERT_TRUE(stack_->Onvmctl({"scale", "service", "fwd", "--replicas", "0"}).ok());
  ASSERT_TRUE(
      TimeUntil([&] { return GetService("fwd").status().replicas_size() == 0; }, seconds(15)));
  for (pid_t pid : pids_seen_) EXPECT_FALSE(Alive(pid)) << pid;
}

TEST_F(SupervisorTest, DrainedInstanceGetsNoNewPacketsAndItsFlowsMoveToTheOther) {
  ASSERT_TRUE(stack_
                  ->Apply(absl::StrCat(ServiceYaml("fwd", 2, BinPath("onvm-nf-forward")),
                                       kThroughChainYaml))
                  .ok())
      << stack_->Logs();
  const std::vector<ReplicaStatus> replicas = WaitRunning("fwd", 2);
  ASSERT_EQ(replicas.size(), 2u) << stack_->Logs();
  const std::string drained = absl::StrCat("fwd-", replicas[0].instance_id());
  const std::string kept = absl::StrCat("fwd-", replicas[1].instance_id());
  auto instances = onvm::v1::Instances::NewStub(stack_->channel());
  auto drain = [&](const std::string& name, bool validate_only, onvm::v1::Instance* out) {
    grpc::ClientContext ctx;
    onvm::v1::DrainInstanceRequest req;
    req.set_name(name);
    req.set_validate_only(validate_only);
    return instances->DrainInstance(&ctx, req, out);
  };
  auto rx = [&](const std::string& name) {
    return Counter("onvm_nf_rx_packets_total",
                   {{"service", "fwd"}, {"instance", name.substr(name.find('-') + 1)}});
  };

  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  ASSERT_TRUE(TimeUntil([&] { return rx(drained) > 0 && rx(kept) > 0; }, seconds(10)))
      << stack_->Logs();

  onvm::v1::Instance out;
  EXPECT_EQ(drain("fwd-99", false, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(drain(kept, true, &out).ok());
  EXPECT_EQ(out.status().state(), onvm::v1::InstanceStatus::RUNNING) << "validate_only drained";
  grpc::Status st = drain(drained, false, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.status().state(), onvm::v1::InstanceStatus::DRAINING);
  ASSERT_TRUE(drain(drained, false, &out).ok()) << "draining twice is fine";

  // Its counter stops; the other replica carries every flow.
  ASSERT_TRUE(TimeUntil(
      [&] {
        const double before = rx(drained);
        std::this_thread::sleep_for(milliseconds(300));
        return rx(drained) == before;
      },
      seconds(5)));
  const double kept_before = rx(kept);
  ASSERT_TRUE(TimeUntil([&] { return rx(kept) > kept_before + 2000; }, seconds(10)));
  traffic.Stop();
  EXPECT_EQ(traffic.received(), traffic.sent()) << "a drain loses nothing\n" << stack_->Logs();
  ASSERT_TRUE(stack_->Onvmctl({"scale", "service", "fwd", "--replicas", "0"}).ok());
  ASSERT_TRUE(
      TimeUntil([&] { return GetService("fwd").status().replicas_size() == 0; }, seconds(15)));
}

TEST_F(SupervisorTest, CrashLoopBacksOffAndSigtermIsFollowedBySigkill) {
  // Not NFs: a program that exits at once, and one that ignores SIGTERM.
  const std::string crasher = stack_->tmp().File("crasher.sh");
  const std::string stubborn = stack_->tmp().File("stubborn.sh");
  ASSERT_TRUE(WriteFile(crasher, "#!/bin/sh\nexit 3\n"));
  ASSERT_TRUE(WriteFile(stubborn, "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 0.1; done\n"));
  ASSERT_EQ(::chmod(crasher.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(stubborn.c_str(), 0755), 0);
  ASSERT_TRUE(stack_->Apply(ServiceYaml("crashy", 1, crasher)).ok()) << stack_->Logs();
  ASSERT_TRUE(stack_->Apply(ServiceYaml("stubborn", 1, stubborn)).ok()) << stack_->Logs();

  // Three exits: 1 s, then 2 s, then 4 s before the next start.
  ASSERT_TRUE(TimeUntil(
      [&] {
        const auto replicas = GetService("crashy").status().replicas();
        return replicas.size() == 1 && replicas[0].restarts() >= 3;
      },
      seconds(20)))
      << GetService("crashy").DebugString();
  const ReplicaStatus crashy = GetService("crashy").status().replicas(0);
  EXPECT_EQ(crashy.last_exit(), "exit code 3");
  std::vector<std::string> delays;
  for (const auto& e : Events("crashy")) {
    if (e.type() != onvm::v1::Event::REPLICA_CRASHED) continue;
    const size_t at = e.message().find("again in ");
    ASSERT_NE(at, std::string::npos) << e.message();
    delays.push_back(e.message().substr(at + 9, e.message().find(' ', at + 9) - at - 9));
  }
  ASSERT_GE(delays.size(), 3u);
  EXPECT_EQ(delays[0], "1");
  EXPECT_EQ(delays[1], "2");
  EXPECT_EQ(delays[2], "4");

  // The stubborn replica outlives SIGTERM; 2 s later (its grace) SIGKILL.
  pid_t stubborn_pid = 0;
  ASSERT_TRUE(TimeUntil(
      [&] {
        const auto replicas = GetService("stubborn").status().replicas();
        stubborn_pid = replicas.empty() ? 0 : replicas[0].pid();
        return stubborn_pid > 0;
      },
      seconds(10)));
  const auto stop_started = std::chrono::steady_clock::now();
  ASSERT_TRUE(stack_->Onvmctl({"scale", "service", "stubborn", "--replicas", "0"}).ok());
  ASSERT_TRUE(
      TimeUntil([&] { return GetService("stubborn").status().replicas_size() == 0; }, seconds(15)));
  EXPECT_GE(std::chrono::steady_clock::now() - stop_started, milliseconds(1900));
  EXPECT_FALSE(Alive(stubborn_pid));
  bool killed = false;
  for (const auto& e : Events("stubborn")) {
    if (e.type() == onvm::v1::Event::REPLICA_STOPPED) {
      killed = absl::StrContains(e.message(), "killed by signal 9");
    }
  }
  EXPECT_TRUE(killed);
  ASSERT_TRUE(stack_->Onvmctl({"scale", "service", "crashy", "--replicas", "0"}).ok());
}

TEST_F(SupervisorTest, RestartedAgentAdoptsTheReplicasItsPredecessorStarted) {
  ASSERT_TRUE(stack_->Apply(ServiceYaml("fwd", 1, BinPath("onvm-nf-forward"))).ok())
      << stack_->Logs();
  const std::vector<ReplicaStatus> before = WaitRunning("fwd", 1);
  ASSERT_EQ(before.size(), 1u) << stack_->Logs();

  ASSERT_TRUE(stack_->agent().Signal(SIGKILL));
  ASSERT_TRUE(stack_->agent().WaitExit(seconds(5)).has_value());
  EXPECT_TRUE(Alive(before[0].pid())) << "the replica outlives the agent";
  ASSERT_TRUE(stack_->RestartAgent().ok()) << stack_->Logs();

  const std::vector<ReplicaStatus> after = WaitRunning("fwd", 1);
  ASSERT_EQ(after.size(), 1u) << GetService("fwd").DebugString() << stack_->Logs();
  EXPECT_EQ(after[0].pid(), before[0].pid()) << "adopted, not started again";
  auto instances = stack_->ListInstances();
  ASSERT_TRUE(instances.ok());
  EXPECT_EQ(instances->items_size(), 1) << instances->DebugString();

  // The adopted process is stopped like any other.
  ASSERT_TRUE(stack_->Onvmctl({"scale", "service", "fwd", "--replicas", "0"}).ok());
  ASSERT_TRUE(TimeUntil([&] { return !Alive(before[0].pid()); }, seconds(15)));
}

}  // namespace
}  // namespace onvm::testing
