#include "onvm/names.h"

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "onvm/stats_layout.h"

namespace onvm {
namespace {

bool IsAlnumLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

absl::Status ValidateName(absl::string_view field, absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  }
  if (value.size() > 63) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", absl::CHexEscape(value.substr(0, 63)), "...' is longer than 63 characters"));
  }
  for (char c : value) {
    if (!IsAlnumLower(c) && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": '", absl::CHexEscape(value),
                       "' is not a DNS label (lower-case letters, digits and '-' only)"));
    }
  }
  if (value.front() == '-' || value.back() == '-') {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", value, "' must start and end with a letter or digit"));
  }
  return absl::OkStatus();
}

EnginePaths PathsForEngine(absl::string_view name) {
  EnginePaths p;
  const char* run_dir = std::getenv("ONVM_RUN_DIR");
  p.run_dir = (run_dir != nullptr && run_dir[0] != '\0') ? run_dir : "/run/onvm";
  p.control_socket = absl::StrCat(p.run_dir, "/", name, ".sock");
  p.stats_shm = absl::StrCat("/onvm-", name, ".stats");
  p.stats_path = absl::StrCat("/dev/shm/onvm-", name, ".stats");
  p.file_prefix = absl::StrCat("onvm-", name);
  return p;
}

absl::Status ValidateCounterName(absl::string_view field, absl::string_view value) {
  if (value.empty() || value.size() >= ONVM_STATS_CUSTOM_NAME_LEN) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": '", absl::CHexEscape(value),
                                                   "' must be 1 to ",
                                                   ONVM_STATS_CUSTOM_NAME_LEN - 1, " characters"));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": '", absl::CHexEscape(value),
                                                     "' is not a counter name ([a-z_][a-z0-9_]*)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace onvm
