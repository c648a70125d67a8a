// The onvmctl verbs. Each returns the process exit code (see ExitCode).
#ifndef ONVM_CLI_VERBS_H_
#define ONVM_CLI_VERBS_H_

#include <string>

#include "cli/args.h"
#include "cli/session.h"

namespace onvm::cli {

int RunGet(const Invocation& invocation, Session& session);
int RunApply(const Invocation& invocation, Session& session);
int RunDelete(const Invocation& invocation, Session& session);
int RunVersion(const Invocation& invocation, Session& session);

// The `--help` text.
std::string UsageText();

// The client version, from the CMake project version.
const char* ClientVersion();

}  // namespace onvm::cli

#endif  // ONVM_CLI_VERBS_H_
