#include "onvm/control_frame.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace onvm {
namespace {

uint32_t LoadLe32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("control socket write: ", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status ReadExactly(int fd, char* out, size_t n,
                         std::chrono::steady_clock::time_point deadline) {
  while (n > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("control socket: no reply in time");
    pollfd pfd{fd, POLLIN, 0};
    const int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (r <= 0) continue;
    const ssize_t got = ::recv(fd, out, n, 0);
    if (got == 0) return absl::UnavailableError("control socket closed by the engine");
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::UnavailableError(absl::StrCat("control socket read: ", std::strerror(errno)));
    }
    out += got;
    n -= static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeFrame(const google::protobuf::MessageLite& msg) {
  std::string payload = msg.SerializeAsString();
  const auto len = static_cast<uint32_t>(payload.size());
  std::string frame(4, '\0');
  frame[0] = static_cast<char>(len & 0xff);
  frame[1] = static_cast<char>((len >> 8) & 0xff);
  frame[2] = static_cast<char>((len >> 16) & 0xff);
  frame[3] = static_cast<char>((len >> 24) & 0xff);
  frame += payload;
  return frame;
}

absl::StatusOr<std::optional<std::string>> FrameDecoder::Next() {
  if (buffer_.size() < 4) return std::nullopt;
  const uint32_t len = LoadLe32(buffer_.data());
  if (len > kMaxFrameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", len, " bytes exceeds the limit of ", kMaxFrameBytes));
  }
  if (buffer_.size() < 4 + size_t{len}) return std::nullopt;
  std::string payload = buffer_.substr(4, len);
  buffer_.erase(0, 4 + size_t{len});
  return payload;
}

absl::Status WriteFrame(int fd, const google::protobuf::MessageLite& msg) {
  return WriteAll(fd, EncodeFrame(msg));
}

absl::Status ReadFrame(int fd, google::protobuf::MessageLite* msg,
                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char header[4];
  if (absl::Status s = ReadExactly(fd, header, sizeof(header), deadline); !s.ok()) return s;
  const uint32_t len = LoadLe32(header);
  if (len > kMaxFrameBytes) {
    return absl::DataLossError(
        absl::StrCat("control socket: frame of ", len, " bytes exceeds the limit"));
  }
  std::string payload(len, '\0');
  if (absl::Status s = ReadExactly(fd, payload.data(), len, deadline); !s.ok()) return s;
  if (!msg->ParseFromString(payload)) {
    return absl::DataLossError("control socket: malformed message");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", path, ": ", std::strerror(err)));
  }
  return fd;
}

}  // namespace onvm
