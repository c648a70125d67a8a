// The onvmctl verbs. Each returns the process exit code (see ExitCode).
#ifndef ONVM_CLI_VERBS_H_
#define ONVM_CLI_VERBS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/args.h"
#include "cli/session.h"
#include "onvm/v1/engine.pb.h"

namespace onvm::cli {

int RunGet(const Invocation& invocation, Session& session);
int RunApply(const Invocation& invocation, Session& session);
int RunDelete(const Invocation& invocation, Session& session);
int RunDescribe(const Invocation& invocation, Session& session);
int RunScale(const Invocation& invocation, Session& session);
int RunTop(const Invocation& invocation, Session& session);
int RunEvents(const Invocation& invocation, Session& session);
int RunVersion(const Invocation& invocation, Session& session);
int RunCompletion(const Invocation& invocation, Session& session);

// The `completion bash|zsh` script; empty for another shell.
std::string CompletionScript(const std::string& shell);

// "0.1.0, engine default (DPDK 23.11.0, boot id 1f2e...)": what `version`
// prints after "Server Version: ".
std::string ServerVersionLine(const v1::EngineInfo& info);

// The value of a duration flag ("30s", "500ms", "1m"; a bare number means
// seconds), or `fallback` when the flag was not given. Must be positive.
absl::StatusOr<absl::Duration> DurationFlag(const char* name,
                                            const std::optional<std::string>& text,
                                            absl::Duration fallback);

// The `--help` text.
std::string UsageText();

// The client version, from the CMake project version.
const char* ClientVersion();

}  // namespace onvm::cli

#endif  // ONVM_CLI_VERBS_H_
