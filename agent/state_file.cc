#include "agent/state_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace onvm::agent {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status FsyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  const int rc = ::fsync(fd);
  absl::Status status = rc == 0 ? absl::OkStatus() : Errno("cannot fsync", path);
  ::close(fd);
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StateFile>> StateFile::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create state directory ", dir, ": ", ec.message()));
  }
  const std::string lock_path = absl::StrCat(dir, "/lock");
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open", lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("state directory ", dir, " is in use by another onvm-agent"));
    }
    return absl::InternalError(absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(err)));
  }
  return absl::WrapUnique(new StateFile(dir, fd));
}

StateFile::StateFile(std::string dir, int lock_fd)
    : dir_(std::move(dir)), path_(absl::StrCat(dir_, "/state.json")), lock_fd_(lock_fd) {}

StateFile::~StateFile() { ::close(lock_fd_); }

absl::StatusOr<std::optional<AgentState>> StateFile::Load() const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return Errno("cannot open", path_);
  }
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("cannot read", path_);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  AgentState state;
  if (auto s = google::protobuf::util::JsonStringToMessage(text, &state); !s.ok()) {
    return absl::DataLossError(absl::StrCat("state file ", path_, " is corrupt (", s.ToString(),
                                            "); repair it or move it away to start empty"));
  }
  return state;
}

absl::Status StateFile::Save(const AgentState& state) const {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string text;
  if (auto s = google::protobuf::util::MessageToJsonString(state, &text, options); !s.ok()) {
    return absl::InternalError(absl::StrCat("cannot encode state: ", s.ToString()));
  }
  text += "\n";
  const std::string tmp = absl::StrCat(path_, ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  absl::Status status = WriteAll(fd, text, tmp);
  if (status.ok() && ::fsync(fd) != 0) status = Errno("cannot fsync", tmp);
  if (::close(fd) != 0 && status.ok()) status = Errno("cannot close", tmp);
  if (status.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0) {
    status = Errno("cannot rename to", path_);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  // The rename is durable only once the directory entry is.
  return FsyncPath(dir_, O_RDONLY | O_DIRECTORY);
}

}  // namespace onvm::agent
