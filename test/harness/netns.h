// Network namespaces, veth pairs and raw packet sockets, so that test traffic
// never leaves namespaces the test created (and removes) itself.
#ifndef ONVM_TEST_HARNESS_NETNS_H_
#define ONVM_TEST_HARNESS_NETNS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/packets.h"
#include "harness/process.h"

namespace onvm::testing {

// A named network namespace ("onvm-test-<pid>-<n>"), deleted on destruction
// (`ip netns del`). IPv6 is disabled inside it before any link exists, and
// nothing is given an address, so the kernel sends nothing on its links:
// every frame seen there comes from the test or the software under test.
// Destroy processes running inside it before it (declare it first).
class NetNs {
 public:
  static absl::StatusOr<std::unique_ptr<NetNs>> Create();
  ~NetNs();
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;

  const std::string& name() const { return name_; }

  // Runs argv inside the namespace (`ip netns exec NAME argv...`).
  CommandResult Exec(const std::vector<std::string>& argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // Runs `ip -n NAME args...`.
  CommandResult Ip(const std::vector<std::string>& args) const;

  // Creates the veth pair a <-> b inside the namespace with `mtu`, turns off
  // checksum, segmentation, GRO/LRO and VLAN offloads on both ends (features
  // a kernel does not offer are skipped), and brings both up.
  absl::Status AddVethPair(const std::string& a, const std::string& b, int mtu = 9000) const;

  // A counter from /sys/class/net/IFNAME/statistics/ (e.g. "rx_packets").
  absl::StatusOr<uint64_t> LinkStat(const std::string& ifname, const std::string& stat) const;

  // Runs `fn` on the calling thread while that thread is inside the
  // namespace, then switches it back. Sockets created by `fn` stay in the
  // namespace. Aborts if the thread cannot be switched back.
  absl::Status RunInside(const std::function<void()>& fn) const;
  // socket(domain, type | SOCK_CLOEXEC, protocol) inside the namespace.
  absl::StatusOr<int> OpenSocket(int domain, int type, int protocol) const;

 private:
  explicit NetNs(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// An AF_PACKET/SOCK_RAW socket bound to one interface of a NetNs. Receives
// whole frames as they were on the wire (a VLAN tag the kernel moved into
// metadata is put back), skipping frames this host sent.
class RawSocket {
 public:
  static absl::StatusOr<std::unique_ptr<RawSocket>> Open(const NetNs& ns,
                                                         const std::string& ifname);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  const std::string& ifname() const { return ifname_; }
  int fd() const { return fd_; }

  // Transmits one frame (no FCS) on the interface.
  absl::Status Send(const Frame& frame);
  // Transmits frames in order, waiting for socket buffer space as needed.
  absl::Status SendAll(const std::vector<Frame>& frames);

  // Frames received until `max_frames` have arrived or `timeout` has passed.
  std::vector<Frame> Receive(std::chrono::milliseconds timeout,
                             size_t max_frames = std::numeric_limits<size_t>::max());
  std::optional<Frame> ReceiveOne(std::chrono::milliseconds timeout);
  // Discards what is queued now; returns how many frames that was.
  size_t Drain();

 private:
  RawSocket(int fd, std::string ifname) : fd_(fd), ifname_(std::move(ifname)) {}
  // One frame without waiting; nullopt if none is queued.
  std::optional<Frame> TryReceive();

  int fd_;
  std::string ifname_;
  Frame buffer_;
};

}  // namespace onvm::testing

#endif  // ONVM_TEST_HARNESS_NETNS_H_
