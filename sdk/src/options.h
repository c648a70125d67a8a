// The command line every SDK-based NF accepts.
#ifndef ONVM_SDK_SRC_OPTIONS_H_
#define ONVM_SDK_SRC_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onvm::internal {

inline constexpr uint32_t kMaxIdleSleepUs = 1000000;

struct NfOptions {
  std::string engine;
  std::string service;
  std::optional<unsigned> core;  // unset: first CPU of the affinity mask
  uint32_t idle_sleep_us = 0;
  bool shared_core = false;  // sleep while idle, woken by the engine
  bool help = false;
  // Everything the SDK did not take, in order: the NF's own flags.
  std::vector<std::string> nf_args;
};

// Takes --engine, --service, --core, --idle-sleep-us (as "--flag VALUE" or
// "--flag=VALUE"), --shared-core and -h/--help out of argv[1..]; everything else, and
// everything after a "--", goes to nf_args. Errors are InvalidArgument with
// a message fit for a usage error.
absl::StatusOr<NfOptions> ParseNfOptions(int argc, const char* const* argv);

// The usage text for `program`; `nf_usage` (may be null) describes the
// NF's own flags.
std::string UsageText(absl::string_view program, const char* nf_usage);

// The one-line synopsis and a pointer to --help, for usage errors.
std::string ShortUsage(absl::string_view program);

// Basename of argv[0], or "onvm-nf" when there is none.
std::string ProgramName(int argc, const char* const* argv);

}  // namespace onvm::internal

#endif  // ONVM_SDK_SRC_OPTIONS_H_
