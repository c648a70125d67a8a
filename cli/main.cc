// onvmctl: the kubectl-like command line of onvm.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/connection.h"
#include "cli/run.h"

int main(int argc, char** argv) {
  // gRPC would otherwise log connection failures on stderr, which the CLI
  // already explains in one line. An explicit setting still wins.
  setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
  onvm::cli::Environment env;
  env.onvm_server = std::getenv(std::string(onvm::cli::kServerEnv).c_str());
  env.onvm_tls_ca = std::getenv(std::string(onvm::cli::kTlsCaEnv).c_str());
  env.onvm_tls_cert = std::getenv(std::string(onvm::cli::kTlsCertEnv).c_str());
  env.onvm_tls_key = std::getenv(std::string(onvm::cli::kTlsKeyEnv).c_str());
  env.onvm_token_file = std::getenv(std::string(onvm::cli::kTokenFileEnv).c_str());
  env.in = &std::cin;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.out_is_tty = isatty(STDOUT_FILENO) == 1;
  return onvm::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc), env);
}
