#include "onvm/file_contents.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace onvm {

absl::StatusOr<std::string> ReadFileContents(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::NotFoundError(std::strerror(errno));
  std::string contents;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) contents.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::DataLossError("read error");
  return contents;
}

}  // namespace onvm
