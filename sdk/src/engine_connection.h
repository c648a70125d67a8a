// The NF's side of the engine control socket: registration, readiness, and
// the lease (the open connection) whose loss means the engine has gone.
#ifndef ONVM_SDK_SRC_ENGINE_CONNECTION_H_
#define ONVM_SDK_SRC_ENGINE_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onvm/engine/v1/control.pb.h"

namespace onvm::internal {

inline constexpr std::chrono::milliseconds kEngineReplyTimeout{5000};

class EngineConnection {
 public:
  // Connects to the engine's control socket; fails at once (never waits)
  // when nothing listens there.
  static absl::StatusOr<EngineConnection> Connect(const std::string& socket_path);

  EngineConnection(EngineConnection&& other) noexcept;
  EngineConnection& operator=(EngineConnection&& other) noexcept;
  EngineConnection(const EngineConnection&) = delete;
  EngineConnection& operator=(const EngineConnection&) = delete;
  ~EngineConnection() { Close(); }

  // Registers this process for `service`. A refusal comes back with the
  // engine's status code and message; transport failures are Unavailable
  // or DeadlineExceeded.
  // `cpu` is the CPU the NF will poll on.
  absl::StatusOr<engine::v1::RegisterNfReply> Register(const std::string& service, unsigned cpu,
                                                       bool shared_core);
  // Tells the engine the NF has attached and may receive traffic.
  // `counters`: names of the NF's own counters (NfContext::AddCounter).
  absl::Status Ready(const std::vector<std::string>& counters);
  // Asks the engine to route nothing new to this NF; returns once it does.
  absl::Status Drain();
  // Non-blocking: true once the engine has closed its end.
  bool PeerClosed() const;
  // Closes the connection, which deregisters the NF. Idempotent.
  void Close();

 private:
  explicit EngineConnection(int fd) : fd_(fd) {}
  // Sends `req` with the next seq and returns the engine's answer; a
  // non-zero code becomes the returned status.
  absl::StatusOr<engine::v1::Response> Call(engine::v1::Request& req);

  int fd_ = -1;
  uint64_t next_seq_ = 1;
};

}  // namespace onvm::internal

#endif  // ONVM_SDK_SRC_ENGINE_CONNECTION_H_
