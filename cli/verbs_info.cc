// `onvmctl version` and the help text.
#include "cli/client.h"
#include "cli/verbs.h"

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
  return kExitOk;
}

std::string UsageText() {
  return R"(onvmctl controls the onvm NFV platform through the onvm-agent API.

Usage:
  onvmctl [--server ADDR] VERB [ARGS] [FLAGS]

Verbs:
  get KIND [NAME...] [-o wide|json|yaml|name]
                        List resources of a kind, or show the named ones.
  apply -f FILE|DIR|- [-f ...]
                        Create or update the resources in manifests (YAML or
                        JSON; a directory means every *.yaml, *.yml and *.json
                        file in it, recursively; - reads stdin).
  delete KIND NAME... [--ignore-not-found]
  delete -f FILE|DIR|- [--ignore-not-found]
                        Delete resources by name, or those a manifest lists
                        (rules first, then chains, then services).
  version               Print the client version.
  help                  Print this help.

Kinds (singular, plural or short name):
  service (svc), chain (ch), rule (rl), port (po), instance (inst)
  KIND/NAME is accepted too: onvmctl get svc/fw

Flags:
  -s, --server ADDR     Agent address, HOST:PORT or unix:/PATH. Default
                        127.0.0.1:50051, or $ONVM_SERVER when set.
  -o, --output FORMAT   get: wide, json, yaml or name.
  -f, --filename PATH   apply, delete: manifest file, directory or -.
      --ignore-not-found
                        delete: a missing resource is not an error.
  -h, --help            Print this help.

Exit status:
  0 success; 1 the server rejected the request, or a manifest is invalid;
  2 usage error; 3 the agent could not be reached.
)";
}

}  // namespace onvm::cli
