#include "engine_connection.h"

#include <poll.h>
#include <rte_version.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "onvm/abi.h"
#include "onvm/control_frame.h"

namespace onvm::internal {

absl::StatusOr<EngineConnection> EngineConnection::Connect(const std::string& socket_path) {
  absl::StatusOr<int> fd = ConnectUnix(socket_path);
  if (!fd.ok()) return fd.status();
  return EngineConnection(*fd);
}

EngineConnection::EngineConnection(EngineConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), next_seq_(other.next_seq_) {}

EngineConnection& EngineConnection::operator=(EngineConnection&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    next_seq_ = other.next_seq_;
  }
  return *this;
}

void EngineConnection::Close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

absl::StatusOr<engine::v1::Response> EngineConnection::Call(engine::v1::Request& req) {
  if (fd_ < 0) return absl::FailedPreconditionError("control connection is closed");
  req.set_seq(next_seq_++);
  if (absl::Status s = WriteFrame(fd_, req); !s.ok()) return s;
  engine::v1::Response resp;
  if (absl::Status s = ReadFrame(fd_, &resp, kEngineReplyTimeout); !s.ok()) return s;
  if (resp.seq() != req.seq()) {
    return absl::DataLossError(
        absl::StrCat("engine answered seq ", resp.seq(), " to request seq ", req.seq()));
  }
  if (resp.code() != 0) {
    return absl::Status(static_cast<absl::StatusCode>(resp.code()),
                        resp.message().empty() ? "(no message)" : resp.message());
  }
  return resp;
}

absl::StatusOr<engine::v1::RegisterNfReply> EngineConnection::Register(const std::string& service,
                                                                       unsigned cpu,
                                                                       bool shared_core) {
  engine::v1::Request req;
  engine::v1::RegisterNf* reg = req.mutable_register_nf();
  reg->set_service(service);
  reg->set_abi_version(ONVM_ABI_VERSION);
  reg->set_dpdk_version(rte_version());
  reg->set_pid(static_cast<int32_t>(::getpid()));
  reg->set_cpu(static_cast<int32_t>(cpu));
  reg->set_shared_core(shared_core);
  absl::StatusOr<engine::v1::Response> resp = Call(req);
  if (!resp.ok()) return resp.status();
  if (!resp->has_register_nf()) {
    return absl::DataLossError("engine accepted the registration but sent no RegisterNfReply");
  }
  return std::move(*resp->mutable_register_nf());
}

absl::Status EngineConnection::Ready(const std::vector<std::string>& counters) {
  engine::v1::Request req;
  for (const std::string& c : counters) req.mutable_nf_ready()->add_counters(c);
  req.mutable_nf_ready();
  return Call(req).status();
}

absl::Status EngineConnection::Drain() {
  engine::v1::Request req;
  req.mutable_nf_drain();
  return Call(req).status();
}

bool EngineConnection::PeerClosed() const {
  if (fd_ < 0) return true;
  pollfd pfd{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&pfd, 1, 0) <= 0) return false;  // nothing yet (or EINTR: look next time)
  if ((pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0) return true;
  // Readable without a hang-up: the engine sends nothing unasked, so peek to
  // tell end-of-stream from stray bytes (which are left alone).
  char byte;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

}  // namespace onvm::internal
