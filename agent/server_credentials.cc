#include "agent/server_credentials.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "agent/flag_file.h"
#include "agent/log.h"
#include "agent/token_auth.h"

namespace onvm::agent {
namespace {

constexpr mode_t kUnixSocketMode = 0660;

// --- checking the PEM files ----------------------------------------------

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// An encrypted key would make OpenSSL prompt on the terminal; the agent
// cannot be asked for a passphrase, so it refuses such a key instead.
int NoPassphrase(char*, int, int, void*) { return -1; }

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return absl::StrCat(" (", buf, ")");
}

// The certificates in a PEM bundle, in order; none when it holds none.
std::vector<X509Ptr> ReadCertificates(const std::string& pem) {
  std::vector<X509Ptr> certs;
  BioPtr bio = MemoryBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the end of the bundle reads as an error
  return certs;
}

absl::Status CheckValidNow(const std::string& what, X509* cert) {
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the certificate has expired"));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the certificate is not valid yet"));
  }
  return absl::OkStatus();
}

absl::Status CheckCertificateAndKey(const ServerSecurityOptions& options, const std::string& cert,
                                    const std::string& key) {
  const std::string cert_what = absl::StrCat("--tls-cert ", options.tls_cert);
  const std::string key_what = absl::StrCat("--tls-key ", options.tls_key);
  std::vector<X509Ptr> chain = ReadCertificates(cert);
  if (chain.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_what, ": no PEM certificate (-----BEGIN CERTIFICATE-----) in it"));
  }
  if (absl::Status s = CheckValidNow(cert_what, chain.front().get()); !s.ok()) return s;
  BioPtr bio = MemoryBio(key);
  KeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_what, ": no unencrypted PEM private key in it", OpenSslError()));
  }
  if (X509_check_private_key(chain.front().get(), pkey.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(key_what, ": this key does not belong to the certificate in ", cert_what));
  }
  return absl::OkStatus();
}

// --- the token check, in gRPC's auth metadata processor ------------------

struct TokenState {
  std::string token;
};

absl::string_view View(const grpc_slice& slice) {
  return absl::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slice)),
                           GRPC_SLICE_LENGTH(slice));
}

// Runs for every call, before its handler, with the call's path and
// headers. Answers at once: the check is a string compare.
void ProcessMetadata(void* state, grpc_auth_context* /*context*/, const grpc_metadata* md,
                     size_t num_md, grpc_process_auth_metadata_done_cb done, void* user_data) {
  const auto* token = static_cast<const TokenState*>(state);
  absl::string_view path;
  std::optional<absl::string_view> authorization;
  const grpc_metadata* authorization_md = nullptr;
  int authorization_count = 0;
  for (size_t i = 0; i < num_md; ++i) {
    const absl::string_view key = View(md[i].key);
    if (key == ":path") {
      path = View(md[i].value);
    } else if (key == "authorization") {
      ++authorization_count;
      authorization = View(md[i].value);
      authorization_md = &md[i];
    }
  }
  const absl::Status status = authorization_count > 1
                                  ? absl::UnauthenticatedError("more than one authorization header")
                                  : CheckCall(token->token, path, authorization);
  if (!status.ok()) {
    const std::string message(status.message());
    done(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_UNAUTHENTICATED, message.c_str());
    return;
  }
  // Consumed: handlers, interceptors and logs never see the token.
  done(user_data, authorization_md, authorization_md != nullptr ? 1 : 0, nullptr, 0, GRPC_STATUS_OK,
       nullptr);
}

void DestroyTokenState(void* state) { delete static_cast<TokenState*>(state); }

// Core credentials (plaintext or TLS) with our auth metadata processor
// attached. grpc::InsecureServerCredentials() cannot carry a processor in
// gRPC 1.51, and the token must be checkable without TLS too (on loopback
// and unix sockets), so the C++ credentials are built on the core ones.
class CoreServerCredentials final : public grpc::ServerCredentials {
 public:
  CoreServerCredentials(std::string cert, std::string key, std::string client_ca,
                        std::optional<std::string> token)
      : cert_(std::move(cert)),
        key_(std::move(key)),
        client_ca_(std::move(client_ca)),
        token_(std::move(token)) {}

  // The agent's own processor is attached in AddPortToServer; a second one
  // has no place.
  void SetAuthMetadataProcessor(const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {}

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    grpc_server_credentials* creds = nullptr;
    if (cert_.empty()) {
      creds = grpc_insecure_server_credentials_create();
    } else {
      grpc_ssl_pem_key_cert_pair pair = {key_.c_str(), cert_.c_str()};
      creds = grpc_ssl_server_credentials_create_ex(
          client_ca_.empty() ? nullptr : client_ca_.c_str(), &pair, 1,
          client_ca_.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                             : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY,
          nullptr);
    }
    if (creds == nullptr) return 0;
    if (token_.has_value()) {
      grpc_server_credentials_set_auth_metadata_processor(
          creds, {ProcessMetadata, DestroyTokenState, new TokenState{*token_}});
    }
    const int port = grpc_server_add_http2_port(server, addr.c_str(), creds);
    grpc_server_credentials_release(creds);
    return port;
  }

  const std::string cert_;
  const std::string key_;
  const std::string client_ca_;
  const std::optional<std::string> token_;
};

std::string Describe(const ServerSecurityOptions& options) {
  std::string mode = options.tls_cert.empty()        ? "plaintext"
                     : options.tls_client_ca.empty() ? "TLS"
                                                     : "TLS with client certificates (mTLS)";
  if (!options.token_file.empty()) absl::StrAppend(&mode, ", bearer token for mutating calls");
  return mode;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerSecurityOptions& options, const std::string& listen) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        options.tls_cert.empty() ? "--tls-key needs --tls-cert (the certificate it belongs to)"
                                 : "--tls-cert needs --tls-key (the certificate's private key)");
  }
  if (!options.tls_client_ca.empty() && options.tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "--tls-client-ca needs --tls-cert and --tls-key: client certificates are checked "
        "during a TLS handshake");
  }
  std::string cert, key, client_ca;
  if (!options.tls_cert.empty()) {
    absl::StatusOr<std::string> c =
        ReadFlagFile("--tls-cert", options.tls_cert, FileSecrecy::kPublic);
    if (!c.ok()) return c.status();
    absl::StatusOr<std::string> k =
        ReadFlagFile("--tls-key", options.tls_key, FileSecrecy::kSecret);
    if (!k.ok()) return k.status();
    if (absl::Status s = CheckCertificateAndKey(options, *c, *k); !s.ok()) return s;
    cert = *std::move(c);
    key = *std::move(k);
  }
  if (!options.tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca =
        ReadFlagFile("--tls-client-ca", options.tls_client_ca, FileSecrecy::kPublic);
    if (!ca.ok()) return ca.status();
    if (ReadCertificates(*ca).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls-client-ca ", options.tls_client_ca, ": no PEM certificate in it"));
    }
    client_ca = *std::move(ca);
  }
  std::optional<std::string> token;
  if (!options.token_file.empty()) {
    absl::StatusOr<std::string> t = ReadTokenFile("--token-file", options.token_file);
    if (!t.ok()) return t.status();
    token = *std::move(t);
  }

  const std::string mode = Describe(options);
  LogInfo(absl::StrCat("gRPC on ", listen, ": ", mode));
  if (!IsLocalAddress(listen)) {
    if (cert.empty()) {
      LogWarning(
          absl::StrCat("gRPC on ", listen, " is reachable from other machines without TLS",
                       token.has_value() ? ", and the bearer token travels in clear text" : "",
                       "; use --tls-cert and --tls-key"));
    }
    if (!token.has_value() && client_ca.empty()) {
      LogWarning(absl::StrCat("gRPC on ", listen,
                              ": any client that reaches it may change the configuration; "
                              "use --tls-client-ca or --token-file"));
    }
  }
  return std::make_shared<CoreServerCredentials>(std::move(cert), std::move(key),
                                                 std::move(client_ca), std::move(token));
}

absl::Status RestrictUnixSocket(const std::string& listen) {
  if (!absl::StartsWith(listen, "unix:")) return absl::OkStatus();
  const std::string path = listen.substr(5);
  if (::chmod(path.c_str(), kUnixSocketMode) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot restrict the socket ", path, " to mode 0660: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool IsLocalAddress(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:") || absl::StartsWith(listen, "unix-abstract:")) return true;
  absl::string_view host = listen;
  if (absl::StartsWith(host, "ipv4:") || absl::StartsWith(host, "ipv6:")) host.remove_prefix(5);
  if (absl::StartsWith(host, "[")) {
    return absl::StartsWith(host, "[::1]");
  }
  host = host.substr(0, host.rfind(':'));
  return host == "localhost" || absl::StartsWith(host, "127.");
}

}  // namespace onvm::agent
