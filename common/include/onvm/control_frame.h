// Length-prefixed framing of the engine control protocol
// (proto/onvm/engine/v1/control.proto): a 4-byte little-endian length, then
// the serialized message.
#ifndef ONVM_CONTROL_FRAME_H_
#define ONVM_CONTROL_FRAME_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace onvm {

inline constexpr uint32_t kMaxFrameBytes = 8u << 20;

// Serializes `msg` into one frame.
std::string EncodeFrame(const google::protobuf::MessageLite& msg);

// Accumulates bytes from a stream and yields complete frame payloads.
class FrameDecoder {
 public:
  void Feed(absl::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  // Returns the next complete payload, nullopt if more bytes are needed, or
  // an error if the stream announces a frame over kMaxFrameBytes (the
  // connection must then be closed: the stream cannot be resynchronised).
  absl::StatusOr<std::optional<std::string>> Next();
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
};

// Blocking helpers for clients (NFs, the agent) on a connected stream socket.
absl::Status WriteFrame(int fd, const google::protobuf::MessageLite& msg);
// Reads one frame into `msg`, waiting at most `timeout`.
absl::Status ReadFrame(int fd, google::protobuf::MessageLite* msg,
                       std::chrono::milliseconds timeout);

// Connects a SOCK_STREAM unix socket to `path` (close-on-exec).
absl::StatusOr<int> ConnectUnix(const std::string& path);

}  // namespace onvm

#endif  // ONVM_CONTROL_FRAME_H_
