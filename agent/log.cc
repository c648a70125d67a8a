#include "agent/log.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace onvm::agent {
namespace {

void Emit(absl::string_view severity, absl::string_view message) {
  // Built first and written with one call so lines from threads never mix.
  const std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
                   severity, " onvm-agent: ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void LogInfo(absl::string_view message) { Emit("INFO", message); }
void LogWarning(absl::string_view message) { Emit("WARN", message); }
void LogError(absl::string_view message) { Emit("ERROR", message); }

}  // namespace onvm::agent
