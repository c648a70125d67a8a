// Helpers shared by the onvmctl unit tests.
#ifndef ONVM_TEST_CLI_CLI_TEST_UTIL_H_
#define ONVM_TEST_CLI_CLI_TEST_UTIL_H_

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/manifest.h"
#include "cli/run.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace onvm::cli::testing {

// The README's demo chain (service, chain, rule).
inline constexpr char kDemoManifest[] = ONVM_SOURCE_DIR "/deploy/examples/demo-chain.yaml";

// What one onvmctl run printed, and its exit code.
struct CliResult {
  int code;
  std::string out;
  std::string err;
};

// Runs onvmctl in-process with `args`, ONVM_SERVER set to `env_server`
// (unset if null) and `stdin_text` on stdin.
inline CliResult RunOnvmctl(std::vector<std::string> args, const char* env_server = nullptr,
                            const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  Environment env;
  env.onvm_server = env_server;
  env.in = &in;
  env.out = &out;
  env.err = &err;
  const int code = RunCli(args, env);
  return {code, out.str(), err.str()};
}

// A protobuf message from its text format (a failed parse fails the test).
template <typename T>
T ParseText(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// The error of a manifest that must not parse (empty if it parsed, which
// fails the test).
inline std::string ManifestError(absl::string_view content, absl::string_view source) {
  absl::StatusOr<std::vector<v1::Resource>> parsed = ParseManifests(content, source);
  EXPECT_FALSE(parsed.ok()) << "parsed without error:\n" << content.substr(0, 400);
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

}  // namespace onvm::cli::testing

#endif  // ONVM_TEST_CLI_CLI_TEST_UTIL_H_
