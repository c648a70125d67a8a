// A whole onvm deployment for integration tests: a network namespace with
// veth pairs, onvm-engine inside it on net_af_packet ports, onvm-agent on
// free loopback ports, NFs, onvmctl and gRPC stubs. Everything is real; the
// fixture stops what it started, by pid, and removes the namespace.
#ifndef ONVM_TEST_INTEGRATION_STACK_H_
#define ONVM_TEST_INTEGRATION_STACK_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/harness.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/port.grpc.pb.h"

namespace onvm::testing {

// Service fwd, chain `through` = [fwd] then out of `out`, and the rule
// from-in sending everything that arrives on `in` into it: the smallest
// chain, which the forward NFs' tests share.
inline constexpr char kForwardChainYaml[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: fwd}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: through}
spec:
  services: [fwd]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec:
  priority: 100
  match: {inPort: in}
  action: {chain: through}
)";

// One service, nat, in two chains: snat from the inside (port `in`, DPDK
// port 0) out of `out`, and unsnat from the outside back out of `in`, each
// with the rule that steers its port's traffic into it.
inline constexpr char kNatChainsYaml[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: nat}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: snat}
spec:
  services: [nat]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: unsnat}
spec:
  services: [nat]
  then: {out: in}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-inside}
spec:
  priority: 100
  match: {inPort: in}
  action: {chain: snat}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-outside}
spec:
  priority: 100
  match: {inPort: out}
  action: {chain: unsnat}
)";

struct StackOptions {
  // Engine port names; each gets a veth pair "<name>0" (engine side) and
  // "<name>1" (test side) in the namespace.
  std::vector<std::string> ports = {"in", "out"};
  // Replaces the net_af_packet devargs of a port (no veth pair is made for
  // it), e.g. {"out", "net_pcap0,tx_pcap=/tmp/x.pcap"}.
  std::map<std::string, std::string> devargs;
  // More onvm-engine flags, e.g. {"--lcores", "0@0,1@1,2@1"}.
  std::vector<std::string> engine_args;
  // More onvm-agent flags, e.g. {"--openflow-listen", "127.0.0.1:6653"}.
  std::vector<std::string> agent_args;
};

class Stack {
 public:
  static absl::StatusOr<std::unique_ptr<Stack>> Start(const StackOptions& options = {});
  ~Stack();

  const std::string& engine_name() const { return engine_name_; }
  const std::string& api_address() const { return api_; }
  const std::string& metrics_address() const { return metrics_; }
  const NetNs& netns() const { return *ns_; }
  TempDir& tmp() { return tmp_; }
  // Stops the NFs, the agent and the engine (SIGTERM), in that order.
  void Stop();
  Process& engine() { return *engine_; }
  // gRPC channel to this stack's agent.
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  Process& agent() { return *agent_; }

  // Starts a new onvm-agent with the same flags (engine, gRPC and metrics
  // addresses, state dir) once the previous one has exited (stop or kill it
  // first), and waits as Start() does until it serves the API and has
  // reached the engine. channel() is replaced by one to the new agent.
  absl::Status RestartAgent();
  // Starts a new onvm-engine with the same name and ports once the previous
  // one has exited, and waits until its control socket accepts connections
  // (not for the agent: how long it takes to restore its state is for the
  // test to measure).
  absl::Status RestartEngine();

  // Raw socket on the test side of an engine port.
  absl::StatusOr<std::unique_ptr<RawSocket>> OpenPeer(const std::string& port) const;

  // Runs onvmctl against this stack's agent.
  CommandResult Onvmctl(const std::vector<std::string>& args) const;
  // Writes `yaml` to a file and applies it with onvmctl; fails on non-zero exit.
  absl::Status Apply(const std::string& yaml);

  // Starts onvm-nf-forward for `service` and waits until the agent lists it
  // as running.
  absl::StatusOr<Process*> StartForwardNf(const std::string& service);
  // Starts build/bin/`binary` (e.g. "onvm-nf-firewall") as
  // `binary --engine E --service S --idle-sleep-us 20 extra_args...` and
  // waits until the agent lists it as running. Its log is nf-S-N.log.
  absl::StatusOr<Process*> StartNf(const std::string& binary, const std::string& service,
                                   const std::vector<std::string>& extra_args = {});

  // Every instance the agent lists (all pages).
  absl::StatusOr<onvm::v1::ListInstancesResponse> ListInstances() const;
  // Current value of one metric with exactly these labels (nullopt if absent
  // or unreachable).
  std::optional<double> Metric(const std::string& name, const Labels& labels) const;
  // Waits until the metric equals `want`.
  bool WaitMetric(const std::string& name, const Labels& labels, double want,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  // Logs of every process, for failure messages.
  std::string Logs();

 private:
  Stack() = default;
  absl::Status StartEngine();
  absl::Status StartAgent(size_t ports);

  std::string engine_name_;
  std::string api_;
  std::string metrics_;
  TempDir tmp_;
  std::unique_ptr<NetNs> ns_;
  std::unique_ptr<Process> engine_;
  std::unique_ptr<Process> agent_;
  std::vector<std::unique_ptr<Process>> nfs_;
  // Engines and agents that were replaced by Restart*(), for Logs().
  std::vector<std::unique_ptr<Process>> replaced_;
  std::vector<std::string> engine_args_;
  std::vector<std::string> agent_args_;
  size_t port_count_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  int manifests_ = 0;
};

}  // namespace onvm::testing

#endif  // ONVM_TEST_INTEGRATION_STACK_H_
