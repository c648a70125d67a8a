// Classic pcap files (not pcapng), Ethernet link type: enough to write input
// traces for net_pcap ports and to read what the engine transmitted.
#ifndef ONVM_TEST_HARNESS_PCAP_H_
#define ONVM_TEST_HARNESS_PCAP_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/packets.h"

namespace onvm::testing {

struct PcapRecord {
  uint64_t timestamp_ns = 0;
  uint32_t original_length = 0;  // on the wire; frame.size() if not truncated
  Frame frame;
};

// Writes little-endian, microsecond-resolution files with link type 1
// (Ethernet) and a snap length of 65535.
class PcapWriter {
 public:
  static absl::StatusOr<std::unique_ptr<PcapWriter>> Open(const std::string& path);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // `timestamp_ns` 0 means "frame number in microseconds" (1 µs apart).
  absl::Status Write(const Frame& frame, uint64_t timestamp_ns = 0);
  absl::Status Close();

 private:
  explicit PcapWriter(std::FILE* file) : file_(file) {}
  std::FILE* file_;
  uint64_t count_ = 0;
};

// Writes `frames` to `path` in one go.
absl::Status WritePcap(const std::string& path, const std::vector<Frame>& frames);

// Reads a whole file: little- or big-endian, microsecond or nanosecond
// resolution (DPDK's pcap PMD writes nanoseconds), link type 1 only. Every
// length is checked against the file; a record cut short is an error.
absl::StatusOr<std::vector<PcapRecord>> ReadPcapRecords(const std::string& path);
// Just the frames.
absl::StatusOr<std::vector<Frame>> ReadPcap(const std::string& path);

}  // namespace onvm::testing

#endif  // ONVM_TEST_HARNESS_PCAP_H_
