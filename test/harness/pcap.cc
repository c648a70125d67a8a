#include "harness/pcap.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "harness/util.h"

namespace onvm::testing {
namespace {

constexpr uint32_t kMagicMicros = 0xa1b2c3d4;
constexpr uint32_t kMagicNanos = 0xa1b23c4d;
constexpr uint32_t kLinkTypeEthernet = 1;
constexpr uint32_t kSnapLen = 65535;
// Larger records are corrupt whatever the file's snap length says.
constexpr uint32_t kMaxRecord = 256 * 1024;

void PutLe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}

void PutLe32(std::string* out, uint32_t v) {
  PutLe16(out, static_cast<uint16_t>(v & 0xffff));
  PutLe16(out, static_cast<uint16_t>(v >> 16));
}

uint32_t Load32(const std::string& data, size_t off, bool swap) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + off);
  if (swap) return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wbe");
  if (f == nullptr) return absl::InternalError(absl::StrCat(path, ": ", std::strerror(errno)));
  std::unique_ptr<PcapWriter> w(new PcapWriter(f));
  std::string header;
  PutLe32(&header, kMagicMicros);
  PutLe16(&header, 2);  // version 2.4
  PutLe16(&header, 4);
  PutLe32(&header, 0);  // thiszone
  PutLe32(&header, 0);  // sigfigs
  PutLe32(&header, kSnapLen);
  PutLe32(&header, kLinkTypeEthernet);
  if (std::fwrite(header.data(), 1, header.size(), f) != header.size()) {
    return absl::InternalError(absl::StrCat(path, ": write failed"));
  }
  return w;
}

PcapWriter::~PcapWriter() { (void)Close(); }

absl::Status PcapWriter::Write(const Frame& frame, uint64_t timestamp_ns) {
  if (file_ == nullptr) return absl::FailedPreconditionError("pcap writer is closed");
  if (frame.size() > kSnapLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", frame.size(), " bytes exceeds the snap length"));
  }
  const uint64_t ts_us = timestamp_ns == 0 ? count_ : timestamp_ns / 1000;
  ++count_;
  std::string rec;
  PutLe32(&rec, static_cast<uint32_t>(ts_us / 1000000));
  PutLe32(&rec, static_cast<uint32_t>(ts_us % 1000000));
  PutLe32(&rec, static_cast<uint32_t>(frame.size()));
  PutLe32(&rec, static_cast<uint32_t>(frame.size()));
  if (std::fwrite(rec.data(), 1, rec.size(), file_) != rec.size() ||
      std::fwrite(frame.data(), 1, frame.size(), file_) != frame.size()) {
    return absl::InternalError("pcap write failed");
  }
  return absl::OkStatus();
}

absl::Status PcapWriter::Close() {
  if (file_ == nullptr) return absl::OkStatus();
  const int r = std::fclose(file_);
  file_ = nullptr;
  if (r != 0) return absl::InternalError(absl::StrCat("pcap close: ", std::strerror(errno)));
  return absl::OkStatus();
}

absl::Status WritePcap(const std::string& path, const std::vector<Frame>& frames) {
  absl::StatusOr<std::unique_ptr<PcapWriter>> w = PcapWriter::Open(path);
  if (!w.ok()) return w.status();
  for (const Frame& f : frames) {
    if (absl::Status s = (*w)->Write(f); !s.ok()) return s;
  }
  return (*w)->Close();
}

absl::StatusOr<std::vector<PcapRecord>> ReadPcapRecords(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rbe");
  if (f == nullptr) return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  std::fclose(f);
  const std::string data = ReadFileOrEmpty(path);
  if (data.size() < 24) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", data.size(), " bytes, too short for a pcap header"));
  }
  bool swap = false;
  bool nanos = false;
  const uint32_t magic = Load32(data, 0, false);
  if (magic == kMagicMicros || magic == kMagicNanos) {
    nanos = magic == kMagicNanos;
  } else if (Load32(data, 0, true) == kMagicMicros || Load32(data, 0, true) == kMagicNanos) {
    swap = true;
    nanos = Load32(data, 0, true) == kMagicNanos;
  } else {
    return absl::DataLossError(
        absl::StrCat(path, ": not a classic pcap file (magic 0x", absl::Hex(magic), ")"));
  }
  const uint32_t linktype = Load32(data, 20, swap) & 0x0fffffff;  // upper bits: FCS info
  if (linktype != kLinkTypeEthernet) {
    return absl::DataLossError(absl::StrCat(path, ": link type ", linktype, ", not Ethernet"));
  }
  std::vector<PcapRecord> records;
  size_t off = 24;
  while (off < data.size()) {
    if (data.size() - off < 16) {
      return absl::DataLossError(absl::StrCat(path, ": record ", records.size(),
                                              " has a truncated header at offset ", off));
    }
    const uint32_t sec = Load32(data, off, swap);
    const uint32_t frac = Load32(data, off + 4, swap);
    const uint32_t incl = Load32(data, off + 8, swap);
    const uint32_t orig = Load32(data, off + 12, swap);
    off += 16;
    if (incl > kMaxRecord || incl > data.size() - off) {
      return absl::DataLossError(absl::StrCat(path, ": record ", records.size(), " claims ", incl,
                                              " bytes at offset ", off, ", file has ",
                                              data.size() - off, " left"));
    }
    PcapRecord r;
    r.timestamp_ns = uint64_t{sec} * 1000000000u + uint64_t{frac} * (nanos ? 1u : 1000u);
    r.original_length = orig;
    r.frame.assign(data.begin() + static_cast<ptrdiff_t>(off),
                   data.begin() + static_cast<ptrdiff_t>(off + incl));
    records.push_back(std::move(r));
    off += incl;
  }
  return records;
}

absl::StatusOr<std::vector<Frame>> ReadPcap(const std::string& path) {
  absl::StatusOr<std::vector<PcapRecord>> records = ReadPcapRecords(path);
  if (!records.ok()) return records.status();
  std::vector<Frame> frames;
  frames.reserve(records->size());
  for (PcapRecord& r : *records) frames.push_back(std::move(r.frame));
  return frames;
}

}  // namespace onvm::testing
