#include "traffic.h"

#include <utility>

namespace onvm::testing {
namespace {

// Ethernet (14) + IPv4 (20): the UDP source port of an untagged frame.
constexpr size_t kSrcPortOffset = 34;

}  // namespace

TrafficStream::TrafficStream(RawSocket* in, RawSocket* out, Options options)
    : in_(in), out_(out), options_(options), received_(new std::atomic<uint64_t>[options.flows]) {
  for (uint32_t f = 0; f < options_.flows; ++f) {
    received_[f] = 0;
    frames_.push_back(PacketBuilder()
                          .Ipv4("198.18.0.1", "198.19.0.1")
                          .Udp(static_cast<uint16_t>(kFirstSrcPort + f), 5000)
                          .FrameSize(options_.frame_size)
                          .Build());
  }
  last_rx_ = std::chrono::steady_clock::now().time_since_epoch().count();
  receiver_ = std::thread([this] { ReceiveLoop(); });
  sender_ = std::thread([this] { SendLoop(); });
}

TrafficStream::~TrafficStream() { Stop(std::chrono::milliseconds(0)); }

uint64_t TrafficStream::received() const {
  uint64_t total = 0;
  for (uint32_t f = 0; f < options_.flows; ++f) total += received_[f].load();
  return total;
}

void TrafficStream::SendLoop() {
  uint32_t next_flow = 0;
  auto tick = std::chrono::steady_clock::now();
  while (!stop_sending_.load()) {
    for (uint32_t i = 0; i < options_.frames_per_ms; ++i) {
      if (!in_->Send(frames_[next_flow]).ok()) continue;
      sent_.fetch_add(1);
      next_flow = (next_flow + 1) % options_.flows;
    }
    // Pacing, not synchronisation: a steady offered load.
    tick += std::chrono::milliseconds(1);
    std::this_thread::sleep_until(tick);
  }
}

void TrafficStream::ReceiveLoop() {
  while (!stop_receiving_.load()) {
    std::optional<Frame> f = out_->ReceiveOne(std::chrono::milliseconds(50));
    if (!f.has_value()) continue;
    last_rx_ = std::chrono::steady_clock::now().time_since_epoch().count();
    if (f->size() < kSrcPortOffset + 2) {
      foreign_.fetch_add(1);
      continue;
    }
    const uint32_t port = (uint32_t{(*f)[kSrcPortOffset]} << 8) | (*f)[kSrcPortOffset + 1];
    if (port >= kFirstSrcPort && port - kFirstSrcPort < options_.flows) {
      received_[port - kFirstSrcPort].fetch_add(1);
    } else {
      foreign_.fetch_add(1);
    }
  }
}

void TrafficStream::Stop(std::chrono::milliseconds quiet) {
  stop_sending_.store(true);
  if (sender_.joinable()) sender_.join();
  // Drain what is still in flight: stop once nothing arrived for `quiet`.
  while (receiver_.joinable()) {
    const auto last =
        std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(last_rx_.load()));
    if (std::chrono::steady_clock::now() - last >= quiet) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop_receiving_.store(true);
  if (receiver_.joinable()) receiver_.join();
}

}  // namespace onvm::testing
