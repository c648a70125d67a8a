// One line per event on stderr, prefixed with a UTC timestamp and severity,
// so that journald and `kubectl logs` show a readable event stream.
#ifndef ONVM_AGENT_LOG_H_
#define ONVM_AGENT_LOG_H_

#include "absl/strings/string_view.h"

namespace onvm::agent {

void LogInfo(absl::string_view message);
void LogWarning(absl::string_view message);
void LogError(absl::string_view message);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_LOG_H_
