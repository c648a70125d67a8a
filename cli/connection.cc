#include "cli/connection.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_interceptor.h"
#include "onvm/file_contents.h"

namespace onvm::cli {
namespace {

using grpc::experimental::InterceptionHookPoints;

absl::StatusOr<std::string> ReadFile(absl::string_view flag, const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFileContents(path);
  if (!contents.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, " ", path, ": ", contents.status().message()));
  }
  if (contents->empty()) {
    return absl::FailedPreconditionError(absl::StrCat(flag, " ", path, ": empty"));
  }
  return contents;
}

absl::StatusOr<std::string> ReadPem(absl::string_view flag, const std::string& path,
                                    absl::string_view kind) {
  absl::StatusOr<std::string> pem = ReadFile(flag, path);
  if (!pem.ok()) return pem.status();
  if (pem->find("-----BEGIN ") == std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, " ", path, ": not a PEM file (want a ", kind, ")"));
  }
  return pem;
}

// Adds the bearer token to every call's initial metadata: one place for all
// verbs, over plaintext as well as TLS (gRPC's call credentials would
// refuse to travel over plaintext, which a unix socket is).
class BearerTokenInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit BearerTokenInterceptor(const std::string* value) : value_(value) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", *value_);
    }
    methods->Proceed();
  }

 private:
  const std::string* value_;
};

class BearerTokenInterceptorFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenInterceptorFactory(const std::string& token)
      : value_(absl::StrCat("Bearer ", token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new BearerTokenInterceptor(&value_);
  }

 private:
  const std::string value_;  // outlives every call: the channel owns the factory
};

}  // namespace

std::string FlagOrEnv(const std::optional<std::string>& flag, const char* env) {
  if (flag.has_value()) return *flag;
  if (env != nullptr) return env;
  return "";
}

absl::StatusOr<Connection> LoadConnection(const ConnectionFlags& flags) {
  Connection c;
  c.server = flags.server;
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return absl::InvalidArgumentError(flags.tls_cert.empty()
                                          ? "--tls-key needs --tls-cert (its certificate)"
                                          : "--tls-cert needs --tls-key (its private key)");
  }
  c.tls = !flags.tls_ca.empty() || !flags.tls_cert.empty();
  if (!flags.tls_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadPem("--tls-ca", flags.tls_ca, "CA certificate");
    if (!ca.ok()) return ca.status();
    c.ca_pem = *std::move(ca);
  }
  if (!flags.tls_cert.empty()) {
    absl::StatusOr<std::string> cert = ReadPem("--tls-cert", flags.tls_cert, "certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem("--tls-key", flags.tls_key, "private key");
    if (!key.ok()) return key.status();
    c.cert_pem = *std::move(cert);
    c.key_pem = *std::move(key);
  }
  if (!flags.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadFile("--token-file", flags.token_file);
    if (!token.ok()) return token.status();
    c.token = std::string(absl::StripAsciiWhitespace(*token));
    for (char ch : c.token) {
      if (ch <= ' ' || ch >= 0x7f) {
        return absl::FailedPreconditionError(
            absl::StrCat("--token-file ", flags.token_file,
                         ": the token must be one line of visible ASCII without spaces"));
      }
    }
    if (c.token.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--token-file ", flags.token_file, ": holds only whitespace"));
    }
  }
  return c;
}

std::shared_ptr<grpc::Channel> MakeChannel(const Connection& connection) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (connection.tls) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = connection.ca_pem;
    options.pem_cert_chain = connection.cert_pem;
    options.pem_private_key = connection.key_pem;
    credentials = grpc::SslCredentials(options);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  if (connection.token.empty()) return grpc::CreateChannel(connection.server, credentials);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<BearerTokenInterceptorFactory>(connection.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      connection.server, credentials, grpc::ChannelArguments(), std::move(factories));
}

}  // namespace onvm::cli
