#include "agent/flag_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "onvm/file_contents.h"

namespace onvm::agent {
namespace {

// Far above any certificate bundle or token; stops a wrong path (a device,
// a log file) from being read whole.
constexpr off_t kMaxFlagFileBytes = 1 << 20;

}  // namespace

absl::StatusOr<std::string> ReadFlagFile(const std::string& flag, const std::string& path,
                                         FileSecrecy secrecy) {
  const std::string what = absl::StrCat(flag, " ", path);
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": empty path"));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a regular file"));
  }
  if (st.st_size > kMaxFlagFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": larger than ", kMaxFlagFileBytes, " bytes"));
  }
  if (secrecy == FileSecrecy::kSecret && (st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: mode %04o lets every user read or replace it; make it readable by its owner (and "
        "group) only, e.g. chmod 600 %s",
        what, st.st_mode & 07777, path));
  }
  absl::StatusOr<std::string> contents = ReadFileContents(path);
  if (!contents.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", contents.status().message()));
  }
  if (contents->empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty"));
  return contents;
}

}  // namespace onvm::agent
