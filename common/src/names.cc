#include "onvm/names.h"

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace onvm {
namespace {

bool IsAlnumLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

absl::Status ValidateName(absl::string_view field, absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  }
  if (value.size() > 63) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", value.substr(0, 63), "...' is longer than 63 characters"));
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

}  // namespace onvm
