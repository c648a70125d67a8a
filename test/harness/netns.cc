#include "harness/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "harness/util.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

absl::Status CommandError(const std::vector<std::string>& argv, const CommandResult& r) {
  return absl::InternalError(
      absl::StrCat("'", absl::StrJoin(argv, " "), "' failed (",
                   r.timed_out ? std::string("timed out") : r.status.ToString(), "): ", r.output));
}

constexpr int kRcvBufBytes = 8 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<NetNs>> NetNs::Create() {
  const std::string name = UniqueName("onvm-test");
  const std::vector<std::string> add = {"ip", "netns", "add", name};
  if (CommandResult r = RunCommand(add); !r.ok()) return CommandError(add, r);
  std::unique_ptr<NetNs> ns(new NetNs(name));
  // Before any link exists, so that no link ever gets an IPv6 address (no
  // router solicitations, no DAD, no MLD reports).
  for (const char* key :
       {"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"}) {
    const std::vector<std::string> argv = {"sysctl", "-q", "-w", key};
    CommandResult r = ns->Exec(argv);
    // A kernel without IPv6 has no such keys, and sends no IPv6 either.
    if (!r.ok() && ::access("/proc/sys/net/ipv6", F_OK) == 0) return CommandError(argv, r);
  }
  const std::vector<std::string> lo_up = {"link", "set", "lo", "up"};
  if (CommandResult r = ns->Ip(lo_up); !r.ok()) return CommandError(lo_up, r);
  return ns;
}

NetNs::~NetNs() {
  CommandResult r = RunCommand({"ip", "netns", "del", name_});
  if (!r.ok()) std::fprintf(stderr, "ip netns del %s: %s\n", name_.c_str(), r.output.c_str());
}

CommandResult NetNs::Exec(const std::vector<std::string>& argv, milliseconds timeout) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return RunCommand(full, timeout);
}

CommandResult NetNs::Ip(const std::vector<std::string>& args) const {
  std::vector<std::string> full = {"ip", "-n", name_};
  full.insert(full.end(), args.begin(), args.end());
  return RunCommand(full);
}

absl::Status NetNs::AddVethPair(const std::string& a, const std::string& b, int mtu) const {
  const std::string m = std::to_string(mtu);
  const std::vector<std::string> add = {"link", "add",  a,      "mtu", m,     "type",
                                        "veth", "peer", "name", b,     "mtu", m};
  if (CommandResult r = Ip(add); !r.ok()) return CommandError(add, r);
  // One feature per call: `ethtool -K` refuses the whole request if one
  // feature cannot change, and which ones can depends on the kernel.
  static const char* const kFeatures[] = {"rx",  "tx",  "tso",    "gso",
                                          "gro", "lro", "rxvlan", "txvlan"};
  for (const std::string& dev : {a, b}) {
    for (const char* feature : kFeatures) {
      Exec({"ethtool", "-K", dev, feature, "off"});  // unsupported: ignored
    }
  }
  for (const std::string& dev : {a, b}) {
    const std::vector<std::string> up = {"link", "set", dev, "up"};
    if (CommandResult r = Ip(up); !r.ok()) return CommandError(up, r);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> NetNs::LinkStat(const std::string& ifname, const std::string& stat) const {
  const std::vector<std::string> argv = {
      "cat", absl::StrCat("/sys/class/net/", ifname, "/statistics/", stat)};
  CommandResult r = Exec(argv);
  if (!r.ok()) return CommandError(argv, r);
  uint64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(r.output), &value)) {
    return absl::InternalError(absl::StrCat("unexpected contents of ", argv[1], ": ", r.output));
  }
  return value;
}

absl::Status NetNs::RunInside(const std::function<void()>& fn) const {
  const int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return absl::InternalError(absl::StrCat("open own netns: ", std::strerror(errno)));
  const std::string target_path = absl::StrCat("/run/netns/", name_);
  const int target = ::open(target_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    const int err = errno;
    ::close(self);
    return absl::InternalError(absl::StrCat("open ", target_path, ": ", std::strerror(err)));
  }
  if (::setns(target, CLONE_NEWNET) != 0) {
    const int err = errno;
    ::close(self);
    ::close(target);
    return absl::InternalError(absl::StrCat("setns ", name_, ": ", std::strerror(err)));
  }
  ::close(target);
  fn();
  if (::setns(self, CLONE_NEWNET) != 0) {
    // Carrying on would put the rest of the test in the wrong namespace.
    std::perror("setns back to the original network namespace");
    std::abort();
  }
  ::close(self);
  return absl::OkStatus();
}

absl::StatusOr<int> NetNs::OpenSocket(int domain, int type, int protocol) const {
  int fd = -1;
  int err = 0;
  absl::Status s = RunInside([&] {
    fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
    err = errno;
  });
  if (!s.ok()) return s;
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(err)));
  return fd;
}

absl::StatusOr<std::unique_ptr<RawSocket>> RawSocket::Open(const NetNs& ns,
                                                           const std::string& ifname) {
  // Protocol 0 receives nothing until bind() names the interface, so no frame
  // of another interface can slip in between socket() and bind().
  int fd = -1;
  unsigned ifindex = 0;
  int err = 0;
  absl::Status s = ns.RunInside([&] {
    ifindex = ::if_nametoindex(ifname.c_str());
    if (ifindex == 0) {
      err = errno;
      return;
    }
    fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    err = errno;
  });
  if (!s.ok()) return s;
  if (ifindex == 0) {
    return absl::NotFoundError(
        absl::StrCat("no interface ", ifname, " in netns ", ns.name(), ": ", std::strerror(err)));
  }
  if (fd < 0) return absl::InternalError(absl::StrCat("socket(AF_PACKET): ", std::strerror(err)));
  std::unique_ptr<RawSocket> sock(new RawSocket(fd, ifname));

  int rcvbuf = kRcvBufBytes;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  int sndbuf = kRcvBufBytes;
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  }
  // The kernel strips a received VLAN tag into metadata before packet
  // sockets see the frame, whatever the offload settings: auxdata carries it
  // so that it can be put back.
  int on = 1;
  if (::setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof(on)) != 0) {
    return absl::InternalError(absl::StrCat("PACKET_AUXDATA: ", std::strerror(errno)));
  }
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(ifindex);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::InternalError(absl::StrCat("bind to ", ifname, ": ", std::strerror(errno)));
  }
  return sock;
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status RawSocket::Send(const Frame& frame) {
  while (true) {
    const ssize_t n = ::send(fd_, frame.data(), frame.size(), 0);
    if (n == static_cast<ssize_t>(frame.size())) return absl::OkStatus();
    if (n >= 0) {
      return absl::InternalError(
          absl::StrCat("short send on ", ifname_, ": ", n, " of ", frame.size(), " bytes"));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == ENOBUFS) {
      pollfd pfd{fd_, POLLOUT, 0};
      ::poll(&pfd, 1, 10);  // wait for buffer space, then retry
      continue;
    }
    return absl::InternalError(
        absl::StrCat("send on ", ifname_, " (", frame.size(), " bytes): ", std::strerror(errno)));
  }
}

absl::Status RawSocket::SendAll(const std::vector<Frame>& frames) {
  for (const Frame& f : frames) {
    if (absl::Status s = Send(f); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::optional<Frame> RawSocket::TryReceive() {
  static constexpr size_t kMaxFrame = 65536 + 4;
  Frame& frame = buffer_;
  frame.resize(kMaxFrame);
  while (true) {
    sockaddr_ll from{};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(tpacket_auxdata))];
    iovec iov{frame.data() + 4, kMaxFrame - 4};  // room in front for a VLAN tag
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    size_t start = 4;
    size_t len = static_cast<size_t>(n);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
      tpacket_auxdata aux;
      std::memcpy(&aux, CMSG_DATA(c), sizeof(aux));
      const bool has_tag = (aux.tp_status & TP_STATUS_VLAN_VALID) != 0 || aux.tp_vlan_tci != 0;
      if (!has_tag || len < 12) continue;
      const uint16_t tpid =
          (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? aux.tp_vlan_tpid : ETH_P_8021Q;
      // Move the MAC addresses 4 bytes forward and put the tag after them.
      std::memmove(frame.data(), frame.data() + 4, 12);
      frame[12] = static_cast<uint8_t>(tpid >> 8);
      frame[13] = static_cast<uint8_t>(tpid & 0xff);
      frame[14] = static_cast<uint8_t>(aux.tp_vlan_tci >> 8);
      frame[15] = static_cast<uint8_t>(aux.tp_vlan_tci & 0xff);
      start = 0;
      len += 4;
    }
    return Frame(frame.begin() + static_cast<ptrdiff_t>(start),
                 frame.begin() + static_cast<ptrdiff_t>(start + len));
  }
}

std::vector<Frame> RawSocket::Receive(milliseconds timeout, size_t max_frames) {
  std::vector<Frame> frames;
  const auto deadline = steady_clock::now() + timeout;
  while (frames.size() < max_frames) {
    if (std::optional<Frame> f = TryReceive()) {
      frames.push_back(std::move(*f));
      continue;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{fd_, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
  return frames;
}

std::optional<Frame> RawSocket::ReceiveOne(milliseconds timeout) {
  std::vector<Frame> frames = Receive(timeout, 1);
  if (frames.empty()) return std::nullopt;
  return std::move(frames.front());
}

size_t RawSocket::Drain() {
  size_t n = 0;
  while (TryReceive()) ++n;
  return n;
}

}  // namespace onvm::testing
