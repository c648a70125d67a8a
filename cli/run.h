// The whole of onvmctl behind main(), with its environment passed in so
// that tests can run it in-process.
#ifndef ONVM_CLI_RUN_H_
#define ONVM_CLI_RUN_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/client.h"

namespace onvm::cli {

struct Environment {
  const char* onvm_server = nullptr;  // $ONVM_SERVER, or null.
  // $ONVM_TLS_CA, $ONVM_TLS_CERT, $ONVM_TLS_KEY, $ONVM_TOKEN_FILE, or null;
  // the flags of the same names win.
  const char* onvm_tls_ca = nullptr;
  const char* onvm_tls_cert = nullptr;
  const char* onvm_tls_key = nullptr;
  const char* onvm_token_file = nullptr;
  std::istream* in = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  absl::Duration connect_timeout = kConnectTimeout;
  // Whether `out` is a terminal: `top` refreshes in place then.
  bool out_is_tty = false;
  // `top` on a terminal stops after this many refreshes; 0: until
  // interrupted (tests set it).
  int top_max_refreshes = 0;
};

// Runs onvmctl with `args` (argv without the program name) and returns its
// exit code.
int RunCli(const std::vector<std::string>& args, const Environment& env);

}  // namespace onvm::cli

#endif  // ONVM_CLI_RUN_H_
