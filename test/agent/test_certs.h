// Certificates for the TLS tests, made at test time with the openssl
// command into a directory the caller owns (and removes):
//   ca.crt                     the CA that the agent and onvmctl trust
//   server.crt, server.key     for localhost and 127.0.0.1 (subjectAltName)
//   client.crt, client.key     a client certificate signed by ca.crt
//   rogue-ca.crt               another CA, trusted by nobody
//   rogue-client.crt/.key      a client certificate signed by rogue-ca.crt
// EC P-256 keys (fast to make), mode 0600, valid for two days.
#ifndef ONVM_TEST_AGENT_TEST_CERTS_H_
#define ONVM_TEST_AGENT_TEST_CERTS_H_

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace onvm::testing_certs {

inline constexpr char kMakeCertsScript[] = R"sh(
set -eu
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; chmod 600 "$1"; }
ca() { key "$1.key"; openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -out "$1.crt"; }
leaf() {  # NAME CA CN EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
  printf '%b\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$1.ext" -out "$1.crt"
  rm -f "$1.csr" "$1.ext"
}
ca ca "onvm test CA"
ca rogue-ca "rogue CA"
leaf server ca localhost 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth'
leaf client ca onvmctl 'extendedKeyUsage=clientAuth'
leaf rogue-client rogue-ca onvmctl 'extendedKeyUsage=clientAuth'
)sh";

// Makes the files above in `dir` (which must exist). The error holds
// openssl's output.
inline absl::Status MakeTestCerts(const std::string& dir) {
  const std::string script = absl::StrCat(dir, "/make-certs.sh");
  const std::string log = absl::StrCat(dir, "/make-certs.log");
  FILE* f = std::fopen(script.c_str(), "w");
  if (f == nullptr) return absl::InternalError(absl::StrCat("cannot write ", script));
  std::fputs(kMakeCertsScript, f);
  std::fclose(f);
  const std::string command = absl::StrCat("bash '", script, "' '", dir, "' >'", log, "' 2>&1");
  if (std::system(command.c_str()) != 0) {
    std::string output;
    if (FILE* l = std::fopen(log.c_str(), "r"); l != nullptr) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof(buf), l)) > 0) output.append(buf, n);
      std::fclose(l);
    }
    return absl::InternalError(absl::StrCat(
        "making test certificates with openssl failed (is openssl installed?): ", output));
  }
  return absl::OkStatus();
}

}  // namespace onvm::testing_certs

#endif  // ONVM_TEST_AGENT_TEST_CERTS_H_
