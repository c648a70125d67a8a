// How onvmctl connects to the agent: address, TLS (server CA, client
// certificate for mutual TLS) and the bearer token, from flags and
// environment variables, loaded and checked before any verb runs.
#ifndef ONVM_CLI_CONNECTION_H_
#define ONVM_CLI_CONNECTION_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/channel.h"

namespace onvm::cli {

inline constexpr absl::string_view kTlsCaEnv = "ONVM_TLS_CA";
inline constexpr absl::string_view kTlsCertEnv = "ONVM_TLS_CERT";
inline constexpr absl::string_view kTlsKeyEnv = "ONVM_TLS_KEY";
inline constexpr absl::string_view kTokenFileEnv = "ONVM_TOKEN_FILE";

// File paths as given (flag, else environment variable); empty: not given.
struct ConnectionFlags {
  std::string server;
  std::string tls_ca;      // --tls-ca, $ONVM_TLS_CA
  std::string tls_cert;    // --tls-cert, $ONVM_TLS_CERT
  std::string tls_key;     // --tls-key, $ONVM_TLS_KEY
  std::string token_file;  // --token-file, $ONVM_TOKEN_FILE
};

// The flag if given, else the environment variable's value if set and not
// empty, else "".
std::string FlagOrEnv(const std::optional<std::string>& flag, const char* env);

// What a channel is made from: the files' contents.
struct Connection {
  std::string server;
  // TLS is on when --tls-ca or --tls-cert is given. Without --tls-ca the
  // server certificate is checked against gRPC's default roots.
  bool tls = false;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  std::string token;  // empty: no authorization metadata
};

// Reads the files. Fails with INVALID_ARGUMENT for flags that do not go
// together (a usage error) and FAILED_PRECONDITION for a file that cannot
// be read or holds no usable content; messages name the flag.
absl::StatusOr<Connection> LoadConnection(const ConnectionFlags& flags);

// A channel (not yet connected) to `connection.server` with its
// credentials; with a token, every call carries
// `authorization: Bearer <token>`.
std::shared_ptr<grpc::Channel> MakeChannel(const Connection& connection);

}  // namespace onvm::cli

#endif  // ONVM_CLI_CONNECTION_H_
