// A continuous stream of UDP frames from one engine port's peer to
// another's, for tests that change things under load and then account for
// every packet. Flow f has UDP source port kFirstSrcPort + f; frames are
// sent in small paced bursts by one thread and counted per flow as they come
// out by another.
#ifndef ONVM_TEST_INTEGRATION_TRAFFIC_H_
#define ONVM_TEST_INTEGRATION_TRAFFIC_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "harness/harness.h"

namespace onvm::testing {

class TrafficStream {
 public:
  static constexpr uint16_t kFirstSrcPort = 10000;

  struct Options {
    uint32_t flows = 64;
    uint32_t frames_per_ms = 8;  // pace: a burst of this many every millisecond
    uint32_t frame_size = 128;
  };

  // Starts sending on `in` and receiving on `out` at once.
  TrafficStream(RawSocket* in, RawSocket* out, Options options);
  // Stops both threads (as Stop()).
  ~TrafficStream();
  TrafficStream(const TrafficStream&) = delete;
  TrafficStream& operator=(const TrafficStream&) = delete;

  // Frames sent and received so far (per flow, and in total).
  uint64_t sent() const { return sent_.load(); }
  uint64_t received() const;
  uint64_t received(uint32_t flow) const { return received_[flow].load(); }
  uint32_t flows() const { return options_.flows; }
  // Frames received that no flow of this stream sent.
  uint64_t foreign() const { return foreign_.load(); }

  // Stops sending; keeps receiving until `quiet` passes with nothing new,
  // then stops the receiver. Idempotent.
  void Stop(std::chrono::milliseconds quiet = std::chrono::milliseconds(500));

 private:
  void SendLoop();
  void ReceiveLoop();

  RawSocket* in_;
  RawSocket* out_;
  Options options_;
  std::vector<Frame> frames_;  // one per flow
  std::atomic<bool> stop_sending_{false};
  std::atomic<bool> stop_receiving_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> foreign_{0};
  std::atomic<std::chrono::steady_clock::rep> last_rx_{0};
  std::unique_ptr<std::atomic<uint64_t>[]> received_;
  std::thread sender_;
  std::thread receiver_;
};

}  // namespace onvm::testing

#endif  // ONVM_TEST_INTEGRATION_TRAFFIC_H_
