// The engine's control socket: a non-blocking unix stream server that speaks
// length-prefixed onvm.engine.v1 Request/Response frames. Runs on the control
// thread; never on a poll lcore.
#ifndef ONVM_ENGINE_CONTROL_SERVER_H_
#define ONVM_ENGINE_CONTROL_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "onvm/control_frame.h"
#include "onvm/engine/v1/control.pb.h"

namespace onvm::engine {

class ControlServer {
 public:
  using RequestHandler = std::function<onvm::engine::v1::Response(
      int conn_id, const onvm::engine::v1::Request& request)>;
  using CloseHandler = std::function<void(int conn_id)>;

  // Binds `path`, replacing a stale socket file. Fails if another process
  // still accepts connections on it.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Listen(const std::string& path,
                                                               RequestHandler on_request,
                                                               CloseHandler on_close);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Waits up to `timeout_ms` for activity, then accepts, reads, dispatches
  // and writes what is ready.
  void PollOnce(int timeout_ms);

 private:
  struct Connection {
    int fd;
    FrameDecoder decoder;
    std::string out;
    bool closing = false;  // close once `out` is flushed
  };

  ControlServer(std::string path, int listen_fd, RequestHandler on_request, CloseHandler on_close)
      : path_(std::move(path)),
        listen_fd_(listen_fd),
        on_request_(std::move(on_request)),
        on_close_(std::move(on_close)) {}
  void Accept();
  void Read(int conn_id, Connection& c);
  void DispatchFrames(int conn_id, Connection& c);
  void Write(Connection& c);
  void Close(int conn_id);

  std::string path_;
  int listen_fd_;
  RequestHandler on_request_;
  CloseHandler on_close_;
  int next_id_ = 1;
  std::map<int, Connection> conns_;
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_CONTROL_SERVER_H_
