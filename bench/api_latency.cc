// gRPC API latency (issue 6, item 10): one client on the same machine sends
// GetService or Manifests.Apply calls at a fixed rate for a fixed time and
// prints the latency percentiles.
//
//   onvm-bench-api-latency --server ADDR --op get|apply [--rate 500]
//       [--seconds 30]
//
// Open loop: call i is due at start + i/rate, and its latency counts from
// then, so a slow call also counts against the calls it delayed (no
// coordinated omission). Each apply changes the desired state (a rule's
// priority), so every one is validated, saved to the state file with fsync
// and pushed to the engine before it returns. bench/api_latency.py starts
// the engine and the agent and runs both ops.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string server = "127.0.0.1:50051";
  std::string op = "get";
  double rate = 500;
  double seconds = 30;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "onvm-bench-api-latency: %s\n"
               "usage: onvm-bench-api-latency --server ADDR --op get|apply [--rate N] "
               "[--seconds N]\n",
               why);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(("missing value for " + flag).c_str());
    const std::string value = argv[++i];
    if (flag == "--server") {
      o.server = value;
    } else if (flag == "--op") {
      o.op = value;
    } else if (flag == "--rate") {
      o.rate = std::atof(value.c_str());
    } else if (flag == "--seconds") {
      o.seconds = std::atof(value.c_str());
    } else {
      Usage(("unknown flag " + flag).c_str());
    }
  }
  if (o.op != "get" && o.op != "apply") Usage("--op must be get or apply");
  if (o.rate <= 0 || o.seconds <= 0) Usage("--rate and --seconds must be positive");
  return o;
}

onvm::v1::ApplyRequest RuleWithPriority(uint32_t priority) {
  onvm::v1::ApplyRequest req;
  onvm::v1::Rule* rule = req.add_resources()->mutable_rule();
  rule->set_api_version("onvm/v1");
  rule->set_kind("Rule");
  rule->mutable_metadata()->set_name("bench-rule");
  rule->mutable_spec()->set_priority(priority);
  rule->mutable_spec()->mutable_match()->set_dst_prefix("198.51.100.0/24");
  rule->mutable_spec()->mutable_action()->set_drop(true);
  return req;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  auto channel = grpc::CreateChannel(o.server, grpc::InsecureChannelCredentials());
  auto services = onvm::v1::Services::NewStub(channel);
  auto manifests = onvm::v1::Manifests::NewStub(channel);

  // The objects the calls read and change.
  {
    onvm::v1::ApplyRequest setup = RuleWithPriority(1);
    onvm::v1::Service* s = setup.add_resources()->mutable_service();
    s->set_api_version("onvm/v1");
    s->set_kind("Service");
    s->mutable_metadata()->set_name("bench-svc");
    s->mutable_spec()->set_replicas(1);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    onvm::v1::ApplyResponse resp;
    grpc::Status st = manifests->Apply(&ctx, setup, &resp);
    if (!st.ok()) {
      std::fprintf(stderr, "onvm-bench-api-latency: set-up apply on %s failed: %s\n",
                   o.server.c_str(), st.error_message().c_str());
      return 1;
    }
  }

  const auto interval = std::chrono::duration<double>(1.0 / o.rate);
  const size_t calls = static_cast<size_t>(o.rate * o.seconds);
  std::vector<double> latency_ms;
  latency_ms.reserve(calls);
  size_t failed = 0;
  onvm::v1::GetServiceRequest get;
  get.set_name("bench-svc");
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < calls; ++i) {
    const Clock::time_point due =
        start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
    std::this_thread::sleep_until(due);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status st;
    if (o.op == "get") {
      onvm::v1::Service out;
      st = services->GetService(&ctx, get, &out);
    } else {
      onvm::v1::ApplyResponse out;
      st = manifests->Apply(&ctx, RuleWithPriority(2 + static_cast<uint32_t>(i % 60000)), &out);
    }
    if (!st.ok()) ++failed;
    latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latency_ms.begin(), latency_ms.end());
  std::printf(
      "%-5s  %6zu calls in %5.1f s (%5.0f/s)  failed %zu  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  "
      "p99.9 %.3f ms  max %.3f ms\n",
      o.op.c_str(), latency_ms.size(), elapsed, latency_ms.size() / elapsed, failed,
      Percentile(latency_ms, 0.50), Percentile(latency_ms, 0.90), Percentile(latency_ms, 0.99),
      Percentile(latency_ms, 0.999), latency_ms.empty() ? 0 : latency_ms.back());
  return failed == 0 ? 0 : 1;
}
