// One OpenFlow connection, either direction: version negotiation (HELLO),
// framing, keepalive (ECHO), the per-connection requests (switch config,
// BARRIER), and everything else handed to the switch. Bytes that cannot be
// framed get an ERROR and the connection is closed; a well-framed message
// the switch refuses gets an ERROR and the connection goes on.
#ifndef ONVM_AGENT_OPENFLOW_SESSION_H_
#define ONVM_AGENT_OPENFLOW_SESSION_H_

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/openflow/messages.h"
#include "agent/openflow/switch.h"

namespace onvm::agent::openflow {

struct SessionOptions {
  // Idle time after which the switch asks the peer for an ECHO.
  absl::Duration echo_interval = absl::Seconds(5);
  // Silence after which the peer counts as gone and the connection closes.
  absl::Duration dead_after = absl::Seconds(15);
  // A send that blocks this long (peer not reading) closes the connection.
  absl::Duration send_timeout = absl::Seconds(5);
};

class Session {
 public:
  // Takes ownership of the connected socket `fd`; `peer` names it in logs.
  Session(int fd, std::string peer, OpenFlowSwitch* sw, SessionOptions options = {});
  ~Session();

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Serves the connection until the peer closes it, it breaks, the peer
  // falls silent, or Stop(). Call once.
  void Run();
  // Makes Run() return soon; any thread.
  void Stop();
  // Sends `m` (e.g. PORT_STATUS) once the version is negotiated; false when
  // not negotiated yet or the connection is gone. Any thread.
  bool SendAsync(const Message& m);

  const std::string& peer() const { return peer_; }

 private:
  // False: close the connection.
  bool HandleFrame(std::span<const uint8_t> frame);
  bool Send(const Message& m);
  bool SendError(uint32_t xid, uint16_t type, uint16_t code, std::span<const uint8_t> request);

  const int fd_;
  const std::string peer_;
  OpenFlowSwitch* const sw_;
  const SessionOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> negotiated_{false};
  absl::Mutex send_mu_;
  bool send_failed_ ABSL_GUARDED_BY(send_mu_) = false;
  // Per-connection switch config (GET_CONFIG/SET_CONFIG); Run()'s thread.
  uint16_t miss_send_len_ = 128;
  uint32_t next_xid_ = 1;
};

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_SESSION_H_
