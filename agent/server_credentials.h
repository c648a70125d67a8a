// How the agent's gRPC port is secured: plaintext or TLS, client
// certificates (mTLS), and the bearer token for mutating calls
// (agent/token_auth.h). Everything a flag names is read and checked here,
// at start, so a bad file stops the agent with an error naming the flag
// instead of failing every handshake later.
//
// The metrics endpoint (--metrics-listen) is not covered: it stays plain
// HTTP, as Prometheus scrapes expect; it serves counters only and changes
// nothing, and listens on loopback by default.
#ifndef ONVM_AGENT_SERVER_CREDENTIALS_H_
#define ONVM_AGENT_SERVER_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace onvm::agent {

struct ServerSecurityOptions {
  // PEM server certificate chain and its private key; both or neither.
  // Empty: plaintext.
  std::string tls_cert;
  std::string tls_key;
  // PEM CA bundle. Set: every client must present a certificate it signed
  // (needs tls_cert).
  std::string tls_client_ca;
  // File holding the bearer token for mutating calls. Empty: no token.
  std::string token_file;
};

// Reads and checks the files `options` names (certificate and key parse and
// match, the certificate is valid now, the CA bundle holds a certificate,
// the token file is private and not empty) and returns the credentials to
// listen on `listen` with. Errors name the flag (--tls-cert, ...).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerSecurityOptions& options, const std::string& listen);

// For a unix socket listen address ("unix:/path"), lets the socket's owner
// and group connect and nobody else (mode 0660); gRPC creates it with the
// process umask. Other addresses: nothing to do.
absl::Status RestrictUnixSocket(const std::string& listen);

// Whether `listen` only accepts local connections: a unix socket, or a
// loopback host (127.0.0.0/8, [::1], localhost).
bool IsLocalAddress(const std::string& listen);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_SERVER_CREDENTIALS_H_
