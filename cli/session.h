// What one onvmctl run works with: the agent address, a lazily opened
// channel, and the streams it reads and writes (injectable for tests).
#ifndef ONVM_CLI_SESSION_H_
#define ONVM_CLI_SESSION_H_

#include <istream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/client.h"
#include "cli/connection.h"
#include "grpcpp/channel.h"

namespace onvm::cli {

class Session {
 public:
  Session(std::string server, std::istream& in, std::ostream& out, std::ostream& err,
          absl::Duration connect_timeout = kConnectTimeout)
      : in_(in), out_(out), err_(err), connect_timeout_(connect_timeout) {
    connection_.server = std::move(server);
  }

  const std::string& server() const { return connection_.server; }
  // TLS and token for the channel (LoadConnection); the server address is
  // the one given to the constructor unless `connection` names another.
  void set_connection(Connection connection) {
    if (connection.server.empty()) connection.server = connection_.server;
    connection_ = std::move(connection);
  }
  std::istream& in() { return in_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // Whether stdout is a terminal, and how many times `top` may refresh
  // there (0: no limit).
  void set_terminal(bool out_is_tty, int max_refreshes) {
    out_is_tty_ = out_is_tty;
    max_refreshes_ = max_refreshes;
  }
  bool out_is_tty() const { return out_is_tty_; }
  int max_refreshes() const { return max_refreshes_; }

  // The channel to the agent, connected on first use. Null when the agent
  // cannot be reached; the one-line explanation has been printed then, and
  // the caller should return kExitUnreachable.
  std::shared_ptr<grpc::Channel> Channel();

  // Print the message on stderr and return the exit code that goes with it.
  int ServerError(const grpc::Status& status);
  int Error(absl::string_view message);
  int UsageError(absl::string_view message);

 private:
  Connection connection_;
  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
  absl::Duration connect_timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  bool unreachable_ = false;
  bool out_is_tty_ = false;
  int max_refreshes_ = 0;
};

}  // namespace onvm::cli

#endif  // ONVM_CLI_SESSION_H_
