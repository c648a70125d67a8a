// `onvmctl version` and the help text.
#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/verbs.h"
#include "onvm/v1/engine.grpc.pb.h"

#ifndef ONVM_VERSION
#error "ONVM_VERSION must be defined by the build (the CMake project version)"
#endif

namespace onvm::cli {

const char* ClientVersion() { return ONVM_VERSION; }

int RunVersion(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {}); !status.ok()) {
    return session.UsageError(status.message());
  }
  if (!invocation.args.empty()) return session.UsageError("version takes no arguments");
  session.out() << "Client Version: " << ClientVersion() << "\n";
  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  v1::EngineInfo info;
  grpc::Status status = v1::Engine::NewStub(channel)->GetEngine(NewCallContext().get(), {}, &info);
  if (!status.ok()) return session.ServerError(status);
  session.out() << "Server Version: " << ServerVersionLine(info) << "\n";
  return kExitOk;
}

std::string ServerVersionLine(const v1::EngineInfo& info) {
  std::string line = absl::StrCat(info.agent_version(), ", engine ", info.name());
  if (!info.connected()) return absl::StrCat(line, " (not connected)");
  return absl::StrCat(line, " (",
                      info.dpdk_version().empty() ? "DPDK unknown" : info.dpdk_version(),
                      ", boot id ", info.boot_id(), ")");
}

std::string UsageText() {
  return R"(onvmctl controls the onvm NFV platform through the onvm-agent API.

Usage:
  onvmctl [--server ADDR] VERB [ARGS] [FLAGS]

Verbs:
  get KIND [NAME...] [-o wide|json|yaml|name] [-w]
                        List resources of a kind, or show the named ones;
                        -w then prints a line per change until Ctrl-C (with
                        -o json: {"type":"ADDED|MODIFIED|DELETED","object":..}).
  apply -f FILE|DIR|- [-f ...] [--prune] [--dry-run=server]
                        Create or update the resources in manifests (YAML or
                        JSON; a directory means every *.yaml, *.yml and *.json
                        file in it, recursively; - reads stdin).
  delete KIND NAME... [--ignore-not-found]
  delete -f FILE|DIR|- [--ignore-not-found]
                        Delete resources by name, or those a manifest lists
                        (rules first, then chains, then services).
  describe KIND NAME...  Show a resource in detail: spec, status, counters; a
                        service's instances, a chain's services; recent events.
  events [KIND [NAME...]] [-w] [-o wide|json|yaml]
                        What the agent saw happen (resources changed, engine
                        up/down, configs applied, NF instances started/gone);
                        KIND may also be engine. -w follows new ones.
  scale service NAME --replicas N [--wait [--timeout 30s]]
                        Set a service's desired replicas; --wait waits until
                        that many are ready (exit 1 on timeout).
  top [--interval 1s]   Packet and byte rates of ports, NF instances and
                        chains (with p50/p99 latency), and the 10 busiest
                        rules. On a terminal it refreshes until Ctrl-C;
                        otherwise it prints once, measured over one interval.
  version               Print the client and server (agent, engine) versions.
  completion bash|zsh   Print a shell completion script, e.g.
                        source <(onvmctl completion bash)
  help                  Print this help.

Kinds (singular, plural or short name):
  service (svc), chain (ch), rule (rl), port (po), instance (inst)
  KIND/NAME is accepted too: onvmctl get svc/fw

Flags:
  -s, --server ADDR     Agent address, HOST:PORT or unix:/PATH. Default
                        127.0.0.1:50051, or $ONVM_SERVER when set.
      --tls-ca FILE     Connect with TLS, trusting the agent certificate's
                        CA in FILE (PEM); $ONVM_TLS_CA.
      --tls-cert FILE, --tls-key FILE
                        Client certificate and key, for an agent that
                        requires them (mutual TLS); $ONVM_TLS_CERT/_KEY.
      --token-file FILE Send the bearer token in FILE with every call; the
                        agent may require it for calls that change state;
                        $ONVM_TOKEN_FILE.
  -o, --output FORMAT   get: wide, json, yaml or name.
  -f, --filename PATH   apply, delete: manifest file, directory or -.
      --ignore-not-found
                        delete: a missing resource is not an error.
      --dry-run=server  apply, delete: the agent checks the request as for
                        real and says what would happen; nothing changes.
      --prune           apply: also delete the resources of the kinds in the
                        manifests that the manifests do not list.
      --replicas N      scale: desired number of replicas.
      --wait            scale: wait until the replicas are ready.
      --timeout D       scale --wait: how long to wait (default 30s).
      --interval D      top: time between samples (default 1s).
  -w, --watch           get, events: keep printing changes until Ctrl-C.
  -h, --help            Print this help.

Exit status:
  0 success; 1 the server rejected the request (a missing or wrong token
  too), or a manifest or TLS file is invalid; 2 usage error; 3 the agent
  could not be reached (nothing listening, or the TLS handshake failed).
)";
}

}  // namespace onvm::cli
