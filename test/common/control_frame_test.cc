#include "onvm/control_frame.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/util.h"
#include "onvm/v1/rule.pb.h"

namespace onvm {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

v1::Rule SampleRule(size_t padding = 0) {
  v1::Rule r;
  r.set_api_version("onvm/v1");
  r.set_kind("Rule");
  r.mutable_metadata()->set_name("web-in");
  r.mutable_spec()->set_priority(100);
  r.mutable_spec()->mutable_match()->set_dst_prefix(std::string(padding, 'x'));
  r.mutable_spec()->mutable_action()->set_chain("web");
  return r;
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

TEST(EncodeFrameTest, LengthPrefixLittleEndian) {
  const v1::Rule r = SampleRule(300);
  const std::string payload = r.SerializeAsString();
  ASSERT_GT(payload.size(), 255u);
  const std::string frame = EncodeFrame(r);
  EXPECT_EQ(frame.substr(0, 4), Le32(static_cast<uint32_t>(payload.size())));
  EXPECT_EQ(frame.substr(4), payload);
  EXPECT_EQ(EncodeFrame(v1::Rule()), std::string(4, '\0'));
}

TEST(FrameDecoderTest, ByteByByte) {
  const std::string frame = EncodeFrame(SampleRule());
  FrameDecoder d;
  for (size_t i = 0; i + 1 < frame.size(); ++i) {
    d.Feed(absl::string_view(&frame[i], 1));
    absl::StatusOr<std::optional<std::string>> next = d.Next();
    ASSERT_TRUE(next.ok());
    ASSERT_FALSE(next->has_value()) << "complete after " << i + 1 << " bytes";
  }
  d.Feed(absl::string_view(&frame.back(), 1));
  absl::StatusOr<std::optional<std::string>> next = d.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  v1::Rule back;
  ASSERT_TRUE(back.ParseFromString(**next));
  EXPECT_EQ(back.metadata().name(), "web-in");
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(FrameDecoderTest, SeveralFramesInOneFeed) {
  std::string stream;
  for (int i = 0; i < 5; ++i) {
    v1::Rule r = SampleRule();
    r.mutable_spec()->set_priority(static_cast<uint32_t>(i));
    stream += EncodeFrame(r);
  }
  stream += EncodeFrame(v1::Rule());  // empty payload
  const std::string partial = EncodeFrame(SampleRule()).substr(0, 7);
  stream += partial;
  FrameDecoder d;
  d.Feed(stream);
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<std::optional<std::string>> next = d.Next();
    ASSERT_TRUE(next.ok() && next->has_value()) << i;
    v1::Rule r;
    ASSERT_TRUE(r.ParseFromString(**next));
    EXPECT_EQ(r.spec().priority(), static_cast<uint32_t>(i));
  }
  absl::StatusOr<std::optional<std::string>> empty = d.Next();
  ASSERT_TRUE(empty.ok() && empty->has_value());
  EXPECT_EQ(**empty, "");
  absl::StatusOr<std::optional<std::string>> none = d.Next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(d.buffered(), partial.size());
}

TEST(FrameDecoderTest, OversizeLengthIsAnError) {
  FrameDecoder d;
  d.Feed(Le32(kMaxFrameBytes + 1));  // no payload needed to know
  absl::StatusOr<std::optional<std::string>> next = d.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(next.status().message()), HasSubstr("exceeds"));

  FrameDecoder huge;
  huge.Feed(Le32(0xffffffffu));
  EXPECT_FALSE(huge.Next().ok());

  // Exactly the limit is allowed: the decoder waits for the payload.
  FrameDecoder limit;
  limit.Feed(Le32(kMaxFrameBytes));
  absl::StatusOr<std::optional<std::string>> wait = limit.Next();
  ASSERT_TRUE(wait.ok());
  EXPECT_FALSE(wait->has_value());
}

TEST(FrameDecoderTest, ShortHeaderWaits) {
  FrameDecoder d;
  d.Feed(std::string("\x05\x00\x00", 3));
  absl::StatusOr<std::optional<std::string>> next = d.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_EQ(d.buffered(), 3u);
}

class SocketPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }
  void TearDown() override {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  void CloseWriter() {
    ::close(fds_[0]);
    fds_[0] = -1;
  }
  int fds_[2] = {-1, -1};
};

TEST_F(SocketPairTest, RoundTrip) {
  ASSERT_TRUE(WriteFrame(fds_[0], SampleRule()).ok());
  ASSERT_TRUE(WriteFrame(fds_[0], v1::Rule()).ok());
  v1::Rule got;
  ASSERT_TRUE(ReadFrame(fds_[1], &got, milliseconds(1000)).ok());
  EXPECT_EQ(got.SerializeAsString(), SampleRule().SerializeAsString());
  got.mutable_metadata()->set_name("stale");
  ASSERT_TRUE(ReadFrame(fds_[1], &got, milliseconds(1000)).ok());
  EXPECT_EQ(got.metadata().name(), "");  // parsed into a cleared message
}

TEST_F(SocketPairTest, LargeMessageConcurrently) {
  const v1::Rule big = SampleRule(4 << 20);  // far beyond the socket buffer
  absl::Status write_status;
  std::thread writer([&] { write_status = WriteFrame(fds_[0], big); });
  v1::Rule got;
  const absl::Status read_status = ReadFrame(fds_[1], &got, milliseconds(20000));
  writer.join();
  ASSERT_TRUE(write_status.ok()) << write_status;
  ASSERT_TRUE(read_status.ok()) << read_status;
  EXPECT_EQ(got.spec().match().dst_prefix().size(), size_t{4} << 20);
}

TEST_F(SocketPairTest, Timeout) {
  v1::Rule got;
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = ReadFrame(fds_[1], &got, milliseconds(50));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  // (Within a millisecond: the remaining time is counted in whole ms.)
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(49));
  // A frame that stops halfway also times out.
  const std::string frame = EncodeFrame(SampleRule());
  ASSERT_EQ(::write(fds_[0], frame.data(), 6), 6);
  EXPECT_EQ(ReadFrame(fds_[1], &got, milliseconds(50)).code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(SocketPairTest, PeerClosed) {
  const std::string frame = EncodeFrame(SampleRule());
  ASSERT_EQ(::write(fds_[0], frame.data(), 6), 6);
  CloseWriter();
  v1::Rule got;
  EXPECT_EQ(ReadFrame(fds_[1], &got, milliseconds(1000)).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReadFrame(fds_[1], &got, milliseconds(1000)).code(), absl::StatusCode::kUnavailable);
}

TEST_F(SocketPairTest, OversizeAndGarbage) {
  const std::string oversize = Le32(kMaxFrameBytes + 1);
  ASSERT_EQ(::write(fds_[0], oversize.data(), 4), 4);
  v1::Rule got;
  EXPECT_EQ(ReadFrame(fds_[1], &got, milliseconds(1000)).code(), absl::StatusCode::kDataLoss);

  // Field 1, length-delimited, claims 5 bytes but has 2.
  // (On a fresh pair: the stream above cannot be resynchronised.)
  const std::string garbage = Le32(4) + std::string(
                                            "\x0a\x05"
                                            "ab",
                                            4);
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  ASSERT_EQ(::write(pair[0], garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
  EXPECT_EQ(ReadFrame(pair[1], &got, milliseconds(1000)).code(), absl::StatusCode::kDataLoss);
  ::close(pair[0]);
  ::close(pair[1]);
}

TEST_F(SocketPairTest, WriteToClosedPeerFails) {
  ::close(fds_[1]);
  fds_[1] = -1;
  // No SIGPIPE: the error comes back as a status.
  EXPECT_EQ(WriteFrame(fds_[0], SampleRule()).code(), absl::StatusCode::kUnavailable);
}

TEST(ConnectUnixTest, ConnectsAndFails) {
  ::onvm::testing::TempDir dir;
  const std::string path = dir.File("engine.sock");
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);

  absl::StatusOr<int> fd = ConnectUnix(path);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_NE(::fcntl(*fd, F_GETFD) & FD_CLOEXEC, 0);
  const int server = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(server, 0);
  ASSERT_TRUE(WriteFrame(*fd, SampleRule()).ok());
  v1::Rule got;
  EXPECT_TRUE(ReadFrame(server, &got, milliseconds(1000)).ok());
  ::close(server);
  ::close(*fd);
  ::close(listener);

  absl::StatusOr<int> missing = ConnectUnix(dir.File("nobody.sock"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nobody.sock"));

  absl::StatusOr<int> too_long = ConnectUnix("/tmp/" + std::string(200, 'x'));
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace onvm
