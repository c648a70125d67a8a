// The OpenFlow endpoints over real TCP on loopback: passive (a client
// connects), active (the agent connects to a "controller" this test plays,
// and reconnects when it goes), and PORT_STATUS on a link change.
#include "agent/openflow/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "agent/openflow/codec.h"
#include "gtest/gtest.h"

namespace onvm::agent::openflow {
namespace {

// A blocking client or accepted connection with framed reads.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}
  ~Peer() { close(fd_); }
  static std::unique_ptr<Peer> Connect(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return nullptr;
    }
    return std::make_unique<Peer>(fd);
  }
  void Send(const Message& m) {
    const std::vector<uint8_t> b = Encode(m);
    ASSERT_EQ(send(fd_, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
  }
  // The next message within `timeout_ms`; nullopt on timeout or close.
  std::optional<Message> Read(int timeout_ms = 5000) {
    std::vector<uint8_t> buf(8);
    if (!ReadFull(buf.data(), 8, timeout_ms)) return std::nullopt;
    const size_t len = PeekHeader(buf)->length;
    buf.resize(len);
    if (!ReadFull(buf.data() + 8, len - 8, timeout_ms)) return std::nullopt;
    absl::StatusOr<Message> m = Decode(buf);
    if (!m.ok()) return std::nullopt;
    return *m;
  }
  // Reads until a message of `type` arrives.
  std::optional<Message> ReadType(uint8_t type, int timeout_ms = 5000) {
    for (int i = 0; i < 100; ++i) {
      std::optional<Message> m = Read(timeout_ms);
      if (!m.has_value() || m->type == type) return m;
    }
    return std::nullopt;
  }
  void Hello() {
    Message hello;
    hello.type = OFPT_HELLO;
    hello.body = openflow::Hello{1u << OFP_VERSION};
    Send(hello);
  }

 private:
  bool ReadFull(uint8_t* p, size_t n, int timeout_ms) {
    while (n > 0) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, timeout_ms) != 1) return false;
      const ssize_t got = read(fd_, p, n);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  int fd_;
};

class OpenFlowServerTest : public ::testing::Test {
 protected:
  OpenFlowServerTest() {
    SwitchEnv env;
    env.ports = [this] {
      return std::vector<EnginePort>{{"in", 0, {2, 0, 0, 0, 0, 1}, link_up_.load(), 1000}};
    };
    sw_ = std::make_unique<OpenFlowSwitch>(std::move(env));
  }
  std::atomic<bool> link_up_{true};
  std::unique_ptr<OpenFlowSwitch> sw_;
};

TEST_F(OpenFlowServerTest, PassiveModeAndPortStatusOnLinkChange) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.port_poll = absl::Milliseconds(50);
  absl::StatusOr<std::unique_ptr<OpenFlowServer>> server =
      OpenFlowServer::Start(options, sw_.get());
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->listen_port(), 0);
  std::unique_ptr<Peer> client = Peer::Connect((*server)->listen_port());
  ASSERT_NE(client, nullptr);
  std::optional<Message> hello = client->Read();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->type, OFPT_HELLO);
  client->Hello();
  // Once the session has negotiated, a link change reaches it.
  Message barrier;
  barrier.type = OFPT_BARRIER_REQUEST;
  barrier.xid = 9;
  client->Send(barrier);
  ASSERT_TRUE(client->ReadType(OFPT_BARRIER_REPLY).has_value());
  link_up_ = false;
  std::optional<Message> status = client->ReadType(OFPT_PORT_STATUS);
  ASSERT_TRUE(status.has_value());
  const PortStatus& ps = std::get<PortStatus>(status->body);
  EXPECT_EQ(ps.reason, OFPPR_MODIFY);
  EXPECT_EQ(ps.desc.port_no, 1u);
  EXPECT_EQ(ps.desc.name, "in");
  EXPECT_EQ(ps.desc.state, OFPPS_LINK_DOWN);
  (*server)->Stop();
  EXPECT_FALSE(client->Read(2000).has_value());  // closed by Stop
}

TEST_F(OpenFlowServerTest, ActiveModeConnectsAndReconnects) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  ServerOptions options;
  options.controller = "tcp:127.0.0.1:" + std::to_string(port);
  options.min_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<OpenFlowServer>> server =
      OpenFlowServer::Start(options, sw_.get());
  ASSERT_TRUE(server.ok()) << server.status();
  for (int round = 0; round < 2; ++round) {
    pollfd pfd{listener, POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "the agent did not connect (round " << round << ")";
    Peer controller(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    std::optional<Message> hello = controller.Read();
    ASSERT_TRUE(hello.has_value());
    EXPECT_EQ(hello->type, OFPT_HELLO);
    controller.Hello();
    Message features;
    features.type = OFPT_FEATURES_REQUEST;
    features.xid = 77;
    controller.Send(features);
    std::optional<Message> reply = controller.ReadType(OFPT_FEATURES_REPLY);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->xid, 77u);
    // Leaving scope closes the controller's side: the agent reconnects.
  }
  (*server)->Stop();
  close(listener);
}

TEST(OpenFlowServerOptionsTest, RefusesBadAddresses) {
  std::string host, port;
  EXPECT_TRUE(SplitHostPort("--x", "tcp:10.0.0.1:6653", &host, &port).ok());
  EXPECT_EQ(host, "10.0.0.1");
  EXPECT_EQ(port, "6653");
  EXPECT_TRUE(SplitHostPort("--x", "[::1]:6653", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(SplitHostPort("--x", "6653", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("--x", "host:99999", &host, &port).ok());
  OpenFlowSwitch sw(SwitchEnv{});
  ServerOptions options;
  options.listen = "127.0.0.1:notaport";
  EXPECT_EQ(OpenFlowServer::Start(options, &sw).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace onvm::agent::openflow
