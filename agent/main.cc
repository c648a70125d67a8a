// onvm-agent: the public control plane of one onvm engine.
#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "agent/agent_server.h"
#include "agent/log.h"

ABSL_FLAG(std::string, engine, "default", "Name of the engine to control (onvm-engine --name).");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC address: host:port or unix:/path.");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9470",
          "host:port serving Prometheus metrics at /metrics.");
ABSL_FLAG(std::string, state_dir, "/var/lib/onvm", "Directory holding the desired state.");
ABSL_FLAG(std::string, openflow_listen, "",
          "host:port on which to serve OpenFlow 1.3 to controllers and ovs-ofctl "
          "(e.g. 127.0.0.1:6653); off when empty.");
ABSL_FLAG(std::string, openflow_controller, "",
          "tcp:HOST:PORT of an OpenFlow 1.3 controller to connect to (reconnecting with "
          "backoff); off when empty.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate (chain) the gRPC port presents; with --tls-key, the port speaks TLS.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert (not readable by others).");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: clients must present a certificate it signed (mutual TLS).");
ABSL_FLAG(std::string, token_file, "",
          "File holding the bearer token that calls which change state must send "
          "(authorization: Bearer TOKEN); read-only calls need none. Not readable by others.");

namespace {

// Abseil flag names cannot contain '-', but the documented interface is
// --metrics-listen, --state-dir, --tls-cert, ...: accept both spellings.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg[0] != '-') continue;
    const size_t start = arg[1] == '-' ? 2 : 1;
    const size_t end = std::min(arg.find('='), arg.size());
    for (size_t j = start; j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "onvm-agent --engine NAME [--listen 127.0.0.1:50051] [--metrics-listen 127.0.0.1:9470] "
      "[--state-dir DIR] [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]] "
      "[--token-file FILE]");
  std::vector<std::string> args = NormalizeFlagNames(argc, argv);
  std::vector<char*> arg_ptrs;
  for (std::string& a : args) arg_ptrs.push_back(a.data());
  arg_ptrs.push_back(nullptr);
  std::vector<char*> rest = absl::ParseCommandLine(argc, arg_ptrs.data());
  if (rest.size() > 1) {
    std::fprintf(stderr, "onvm-agent: unexpected argument '%s'\n", rest[1]);
    return 2;
  }

  // Blocked before any thread starts so every thread inherits the mask and
  // only the sigwait below receives them.
  // A shell starting us in the background may have set SIGINT to ignored,
  // which would make sigwait() miss it.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  onvm::agent::AgentOptions options;
  options.engine = absl::GetFlag(FLAGS_engine);
  options.listen = absl::GetFlag(FLAGS_listen);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.state_dir = absl::GetFlag(FLAGS_state_dir);
  options.security.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.security.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.security.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  options.security.token_file = absl::GetFlag(FLAGS_token_file);
  options.openflow.listen = absl::GetFlag(FLAGS_openflow_listen);
  options.openflow.controller = absl::GetFlag(FLAGS_openflow_controller);

  absl::StatusOr<std::unique_ptr<onvm::agent::AgentServer>> agent =
      onvm::agent::AgentServer::Start(options);
  if (!agent.ok()) {
    onvm::agent::LogError(agent.status().message());
    return 1;
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  onvm::agent::LogInfo(
      absl::StrCat("received ", signal == SIGINT ? "SIGINT" : "SIGTERM", "; shutting down"));
  (*agent)->Shutdown();
  return 0;
}
