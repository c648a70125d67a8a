#include "agent/openflow/session.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/log.h"
#include "agent/openflow/codec.h"
#include "agent/openflow/error.h"

namespace onvm::agent::openflow {
namespace {

// Wakes up at least this often to check Stop() and the keepalive.
constexpr int kPollMs = 100;

}  // namespace

Session::Session(int fd, std::string peer, OpenFlowSwitch* sw, SessionOptions options)
    : fd_(fd), peer_(std::move(peer)), sw_(sw), options_(options) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(absl::ToInt64Seconds(options_.send_timeout));
  tv.tv_usec = static_cast<suseconds_t>(
      absl::ToInt64Microseconds(options_.send_timeout - absl::Seconds(tv.tv_sec)));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

Session::~Session() { close(fd_); }

void Session::Stop() {
  stop_ = true;
  shutdown(fd_, SHUT_RDWR);  // wakes a blocked poll or send
}

bool Session::Send(const Message& m) {
  const std::vector<uint8_t> bytes = Encode(m);
  absl::MutexLock lock(&send_mu_);
  if (send_failed_) return false;
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      send_failed_ = true;
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool Session::SendAsync(const Message& m) { return negotiated_ && Send(m); }

bool Session::SendError(uint32_t xid, uint16_t type, uint16_t code,
                        std::span<const uint8_t> request) {
  return Send(MakeError(xid, type, code, request));
}

void Session::Run() {
  Message hello;
  hello.type = OFPT_HELLO;
  hello.xid = next_xid_++;
  hello.body = Hello{1u << OFP_VERSION};
  if (!Send(hello)) return;

  std::vector<uint8_t> buf;
  absl::Time last_rx = absl::Now();
  bool echo_outstanding = false;
  uint8_t chunk[16384];
  while (!stop_) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, kPollMs);
    if (ready < 0 && errno != EINTR) break;
    const absl::Time now = absl::Now();
    if (ready <= 0) {
      if (now - last_rx > options_.dead_after) {
        LogWarning(absl::StrCat("openflow: ", peer_, " silent for ",
                                absl::FormatDuration(now - last_rx), "; closing"));
        break;
      }
      if (negotiated_ && !echo_outstanding && now - last_rx > options_.echo_interval) {
        Message echo;
        echo.type = OFPT_ECHO_REQUEST;
        echo.xid = next_xid_++;
        echo.body = Echo{};
        if (!Send(echo)) break;
        echo_outstanding = true;
      }
      continue;
    }
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // closed by the peer, or broken
    last_rx = now;
    echo_outstanding = false;
    buf.insert(buf.end(), chunk, chunk + n);
    // Frames: a header says how long its message is (at most 64 KiB, so
    // the buffer stays bounded).
    size_t used = 0;
    bool keep = true;
    while (keep) {
      std::span<const uint8_t> rest(buf.data() + used, buf.size() - used);
      std::optional<Header> h = PeekHeader(rest);
      if (!h.has_value()) break;
      if (h->length < OFP_HEADER_LEN) {
        LogWarning(absl::StrCat("openflow: ", peer_, " sent a message of length ", h->length,
                                "; closing"));
        SendError(h->xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, rest.first(OFP_HEADER_LEN));
        keep = false;
        break;
      }
      if (rest.size() < h->length) break;
      keep = HandleFrame(rest.first(h->length));
      used += h->length;
    }
    if (!keep) break;
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
  }
  negotiated_ = false;
  // The peer learns at once; the descriptor itself is closed with the
  // session (another thread may still be sending).
  shutdown(fd_, SHUT_RDWR);
}

bool Session::HandleFrame(std::span<const uint8_t> frame) {
  const Header h = *PeekHeader(frame);
  if (!negotiated_) {
    if (h.type != OFPT_HELLO) {
      LogWarning(absl::StrCat("openflow: ", peer_, " sent type ", h.type, " before HELLO"));
      SendError(h.xid, OFPET_HELLO_FAILED, OFPHFC_EPERM, frame);
      return false;
    }
    absl::StatusOr<Message> m = Decode(frame);
    const Hello* hello = m.ok() ? std::get_if<Hello>(&m->body) : nullptr;
    // With a version bitmap the highest common version wins; without, the
    // lower of the two header versions (OpenFlow 1.3.5, 6.3.1).
    const bool compatible =
        hello != nullptr &&
        (hello->version_bitmap.has_value() ? (*hello->version_bitmap >> OFP_VERSION & 1) != 0
                                           : h.version >= OFP_VERSION);
    if (!compatible) {
      LogWarning(absl::StrCat("openflow: ", peer_, " offers no OpenFlow 1.3 (version 0x",
                              absl::Hex(h.version), "); closing"));
      SendError(h.xid, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, frame);
      return false;
    }
    negotiated_ = true;
    LogInfo(absl::StrCat("openflow: ", peer_, " connected (OpenFlow 1.3)"));
    return true;
  }

  absl::StatusOr<Message> decoded = Decode(frame);
  if (!decoded.ok()) {
    const OfErrorCode code =
        ErrorCodeOf(decoded.status()).value_or(OfErrorCode{OFPET_BAD_REQUEST, OFPBRC_BAD_LEN});
    LogWarning(absl::StrCat("openflow: ", peer_, ": ", decoded.status().message()));
    return SendError(h.xid, code.type, code.code, frame);
  }
  const Message& m = *decoded;
  switch (m.type) {
    case OFPT_HELLO:
    case OFPT_ECHO_REPLY:
      return true;
    case OFPT_ECHO_REQUEST: {
      Message reply;
      reply.type = OFPT_ECHO_REPLY;
      reply.xid = m.xid;
      reply.body = std::get<Echo>(m.body);
      return Send(reply);
    }
    case OFPT_ERROR: {
      const Error& e = std::get<Error>(m.body);
      LogWarning(absl::StrCat("openflow: ", peer_, " sent error type ", e.type, " code ", e.code));
      return true;
    }
    case OFPT_GET_CONFIG_REQUEST: {
      Message reply;
      reply.type = OFPT_GET_CONFIG_REPLY;
      reply.xid = m.xid;
      reply.body = SwitchConfig{0, miss_send_len_};
      return Send(reply);
    }
    case OFPT_SET_CONFIG: {
      const SwitchConfig& c = std::get<SwitchConfig>(m.body);
      // Fragments are handled as normal packets; no other mode exists.
      if (c.flags != 0)
        return SendError(m.xid, OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS, frame);
      miss_send_len_ = c.miss_send_len;
      return true;
    }
    case OFPT_BARRIER_REQUEST: {
      // Every earlier message of this connection is done: they are
      // handled one at a time, in order, before the next is read.
      Message reply;
      reply.type = OFPT_BARRIER_REPLY;
      reply.xid = m.xid;
      return Send(reply);
    }
    default:
      for (const Message& reply : sw_->Handle(m, frame)) {
        if (!Send(reply)) return false;
      }
      return true;
  }
}

}  // namespace onvm::agent::openflow
