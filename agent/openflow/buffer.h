// Big-endian readers and writers over byte buffers. The reader never reads
// past its span: every read checks what is left first and a failed read
// leaves the reader failed, so a decoder can read a whole structure and test
// ok() once.
#ifndef ONVM_AGENT_OPENFLOW_BUFFER_H_
#define ONVM_AGENT_OPENFLOW_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace onvm::agent::openflow {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t left() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t pos() const { return pos_; }

  uint8_t U8() {
    uint8_t v = 0;
    if (Take(1)) v = data_[pos_ - 1];
    return v;
  }
  uint16_t U16() {
    uint16_t v = 0;
    if (Take(2)) v = static_cast<uint16_t>(data_[pos_ - 2] << 8 | data_[pos_ - 1]);
    return v;
  }
  uint32_t U32() {
    const uint32_t hi = U16();
    return hi << 16 | U16();
  }
  uint64_t U64() {
    const uint64_t hi = U32();
    return hi << 32 | U32();
  }
  void Skip(size_t n) { Take(n); }
  // The next `n` bytes; empty (and the reader failed) if fewer are left.
  std::span<const uint8_t> Bytes(size_t n) {
    if (!Take(n)) return {};
    return data_.subspan(pos_ - n, n);
  }
  // A fixed-size, NUL-padded string field (names, descriptions); stops at
  // the first NUL.
  std::string FixedString(size_t n) {
    std::span<const uint8_t> b = Bytes(n);
    // The field holds a NUL-terminated string: at most n - 1 characters,
    // whatever a peer put in the last byte (the writer always ends it).
    const size_t max = b.empty() ? 0 : b.size() - 1;
    size_t len = 0;
    while (len < max && b[len] != 0) ++len;
    return std::string(reinterpret_cast<const char*>(b.data()), len);
  }
  // A sub-reader over the next `n` bytes, which this reader skips.
  Reader Sub(size_t n) {
    std::span<const uint8_t> b = Bytes(n);
    Reader r(b);
    if (!ok_) r.ok_ = false;
    return r;
  }

 private:
  bool Take(size_t n) {
    if (!ok_ || n > data_.size() - pos_) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>* out) : out_(out) {}

  size_t size() const { return out_->size(); }
  void U8(uint8_t v) { out_->push_back(v); }
  void U16(uint16_t v) {
    out_->push_back(static_cast<uint8_t>(v >> 8));
    out_->push_back(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void U64(uint64_t v) {
    U32(static_cast<uint32_t>(v >> 32));
    U32(static_cast<uint32_t>(v));
  }
  void Zeros(size_t n) { out_->insert(out_->end(), n, 0); }
  void Bytes(std::span<const uint8_t> b) { out_->insert(out_->end(), b.begin(), b.end()); }
  // `s` truncated to n - 1 bytes, NUL-padded to n.
  void FixedString(const std::string& s, size_t n) {
    const size_t len = s.size() < n ? s.size() : n - 1;
    out_->insert(out_->end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(len));
    Zeros(n - len);
  }
  // Zeros up to the next multiple of 8 counted from `start`.
  void PadTo8(size_t start) { Zeros((8 - (out_->size() - start) % 8) % 8); }
  // Overwrites a 16-bit field written earlier at `at`.
  void Patch16(size_t at, uint16_t v) {
    (*out_)[at] = static_cast<uint8_t>(v >> 8);
    (*out_)[at + 1] = static_cast<uint8_t>(v);
  }

 private:
  std::vector<uint8_t>* out_;
};

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_BUFFER_H_
