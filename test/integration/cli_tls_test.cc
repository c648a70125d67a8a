// onvmctl against a real onvm-agent with TLS, client certificates and a
// bearer token (issue 6 item 8, issue 7 item 4): the right flags work, the
// wrong ones fail with the documented exit codes (1 rejected, 2 usage,
// 3 unreachable) and a line saying what to check. No engine is needed: the
// agent keeps the desired state while it waits for one.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/harness.h"
#include "test/agent/test_certs.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "cli-tls-test-token-0123456789";

constexpr char kServiceYaml[] = R"(apiVersion: onvm/v1
kind: Service
metadata: {name: fw}
spec: {replicas: 1}
)";

class CliTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test decides every connection flag; none may leak in.
    for (const char* var :
         {"ONVM_SERVER", "ONVM_TLS_CA", "ONVM_TLS_CERT", "ONVM_TLS_KEY", "ONVM_TOKEN_FILE"}) {
      unsetenv(var);
    }
    const absl::Status made = testing_certs::MakeTestCerts(tmp_.path());
    ASSERT_TRUE(made.ok()) << made;
    token_ = tmp_.File("token");
    ASSERT_TRUE(WriteFile(token_, absl::StrCat(kToken, "\n")));
    ASSERT_EQ(chmod(token_.c_str(), 0600), 0);
    wrong_token_ = tmp_.File("wrong-token");
    ASSERT_TRUE(WriteFile(wrong_token_, "not-the-token\n"));
    manifest_ = tmp_.File("fw.yaml");
    ASSERT_TRUE(WriteFile(manifest_, kServiceYaml));
  }

  // Starts onvm-agent with `extra` flags on `listen`; waits until it serves.
  void StartAgent(const std::string& listen, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--engine",    UniqueName("tls"),  "--listen",
                                     listen,        "--metrics-listen", "127.0.0.1:0",
                                     "--state-dir", tmp_.File("state")};
    args.insert(args.end(), extra.begin(), extra.end());
    auto agent = Process::Start(BinPath("onvm-agent"), args, tmp_.File("agent.log"));
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
    ASSERT_TRUE(WaitFor(
        [&] {
          return agent_->Log().find("serving gRPC on") != std::string::npos || !agent_->Running();
        },
        seconds(30)))
        << agent_->Describe();
    ASSERT_TRUE(agent_->Running()) << agent_->Describe();
  }
  std::string StartTlsAgent() {
    const std::string listen = absl::StrCat("127.0.0.1:", FreeTcpPort());
    StartAgent(listen, {"--tls-cert", tmp_.File("server.crt"), "--tls-key", tmp_.File("server.key"),
                        "--tls-client-ca", tmp_.File("ca.crt"), "--token-file", token_});
    return listen;
  }

  // onvmctl ARGS; `prefix` goes before the binary (e.g. env VAR=...).
  CommandResult Onvmctl(const std::vector<std::string>& args,
                        const std::vector<std::string>& prefix = {}) {
    std::vector<std::string> argv = prefix;
    argv.push_back(BinPath("onvmctl"));
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, seconds(20));
  }
  // The flags of a client the agent accepts: its CA and a client certificate.
  std::vector<std::string> Trusted(const std::string& server) const {
    return {"--server",   server,
            "--tls-ca",   tmp_.File("ca.crt"),
            "--tls-cert", tmp_.File("client.crt"),
            "--tls-key",  tmp_.File("client.key")};
  }
  static std::vector<std::string> Plus(std::vector<std::string> a,
                                       const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  // Starts an agent expecting it to exit at once; returns its log.
  std::string AgentRefuses(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--engine",         UniqueName("tls"),
                                     "--listen",         absl::StrCat("127.0.0.1:", FreeTcpPort()),
                                     "--metrics-listen", "127.0.0.1:0",
                                     "--state-dir",      tmp_.File("state")};
    args.insert(args.end(), extra.begin(), extra.end());
    auto agent = Process::Start(BinPath("onvm-agent"), args, tmp_.File("refused.log"));
    EXPECT_TRUE(agent.ok()) << agent.status();
    if (!agent.ok()) return "";
    std::optional<ExitStatus> status = (*agent)->WaitExit(seconds(10));
    EXPECT_TRUE(status.has_value()) << "the agent kept running: " << (*agent)->Describe();
    if (status.has_value()) {
      EXPECT_FALSE(status->ok());
    }
    std::string log = (*agent)->Log();
    std::filesystem::remove(tmp_.File("refused.log"));
    return log;
  }

  TempDir tmp_;
  std::string token_;
  std::string wrong_token_;
  std::string manifest_;
  std::unique_ptr<Process> agent_;
};

TEST_F(CliTlsTest, RightFlagsWorkAndTheTokenGuardsChanges) {
  const std::string server = StartTlsAgent();
  const auto trusted = Trusted(server);

  CommandResult r = Onvmctl(Plus(trusted, {"apply", "-f", manifest_}));
  EXPECT_EQ(r.status.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Error from server (Unauthorized)"));
  EXPECT_THAT(r.output, HasSubstr("--token-file"));

  r = Onvmctl(Plus(trusted, {"--token-file", wrong_token_, "apply", "-f", manifest_}));
  EXPECT_EQ(r.status.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Unauthorized"));

  r = Onvmctl(Plus(trusted, {"get", "services", "-o", "name"}));
  EXPECT_TRUE(r.ok()) << r.output;  // reading needs no token
  EXPECT_THAT(r.output, Not(HasSubstr("fw")));

  r = Onvmctl(Plus(trusted, {"--token-file", token_, "apply", "-f", manifest_}));
  EXPECT_TRUE(r.ok()) << r.output;
  r = Onvmctl(Plus(trusted, {"get", "services", "-o", "name"}));
  EXPECT_TRUE(r.ok()) << r.output;
  EXPECT_THAT(r.output, HasSubstr("fw"));

  // The same from the environment.
  r = Onvmctl({"delete", "service", "fw"}, {"env", absl::StrCat("ONVM_SERVER=", server),
                                            absl::StrCat("ONVM_TLS_CA=", tmp_.File("ca.crt")),
                                            absl::StrCat("ONVM_TLS_CERT=", tmp_.File("client.crt")),
                                            absl::StrCat("ONVM_TLS_KEY=", tmp_.File("client.key")),
                                            absl::StrCat("ONVM_TOKEN_FILE=", token_)});
  EXPECT_TRUE(r.ok()) << r.output;
  r = Onvmctl(Plus(trusted, {"get", "services", "-o", "name"}));
  EXPECT_THAT(r.output, Not(HasSubstr("fw")));
}

TEST_F(CliTlsTest, WrongTlsFlagsSayWhatToCheckWithExitCode3) {
  const std::string server = StartTlsAgent();
  struct Case {
    std::string what;
    std::vector<std::string> flags;
    std::string hint;
  };
  const std::vector<Case> cases = {
      {"plaintext", {"--server", server}, "check --server"},
      {"no client certificate",
       {"--server", server, "--tls-ca", tmp_.File("ca.crt")},
       "--tls-cert and --tls-key"},
      {"client certificate from another CA",
       {"--server", server, "--tls-ca", tmp_.File("ca.crt"), "--tls-cert",
        tmp_.File("rogue-client.crt"), "--tls-key", tmp_.File("rogue-client.key")},
       "trusts --tls-cert"},
      {"server certificate from an untrusted CA",
       {"--server", server, "--tls-ca", tmp_.File("rogue-ca.crt"), "--tls-cert",
        tmp_.File("client.crt"), "--tls-key", tmp_.File("client.key")},
       "--tls-ca"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const CommandResult r = Onvmctl(Plus(c.flags, {"get", "services"}));
    EXPECT_EQ(r.status.code, 3) << r.output;
    EXPECT_THAT(r.output, HasSubstr(absl::StrCat("cannot reach the onvm agent at ", server)));
    EXPECT_THAT(r.output, HasSubstr(c.hint));
  }
  // Bad local files are the CLI's input errors, not an unreachable agent.
  CommandResult r =
      Onvmctl(Plus(Trusted(server), {"--tls-ca", tmp_.File("none.pem"), "get", "services"}));
  EXPECT_EQ(r.status.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--tls-ca"));
  r = Onvmctl({"--server", server, "--tls-cert", tmp_.File("client.crt"), "get", "services"});
  EXPECT_EQ(r.status.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--tls-cert needs --tls-key"));
  r = Onvmctl(Plus(Trusted(server), {"--token-file", tmp_.File("none"), "get", "services"}));
  EXPECT_EQ(r.status.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--token-file"));
}

TEST_F(CliTlsTest, UnixSocketWithTokenAndNoTls) {
  const std::string path = tmp_.File("agent.sock");
  StartAgent(absl::StrCat("unix:", path), {"--token-file", token_});
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  const std::string server = absl::StrCat("unix:", path);
  CommandResult r = Onvmctl({"--server", server, "apply", "-f", manifest_});
  EXPECT_EQ(r.status.code, 1) << r.output;
  r = Onvmctl({"--server", server, "--token-file", token_, "apply", "-f", manifest_});
  EXPECT_TRUE(r.ok()) << r.output;
  r = Onvmctl({"--server", server, "get", "svc", "fw", "-o", "name"});
  EXPECT_TRUE(r.ok()) << r.output;
  // An agent that stops takes its socket file with it.
  EXPECT_TRUE(agent_->Stop().ok()) << agent_->Describe();
  EXPECT_FALSE(std::filesystem::exists(path));
  r = Onvmctl({"--server", server, "get", "services"});
  EXPECT_EQ(r.status.code, 3) << r.output;
}

TEST_F(CliTlsTest, AgentRefusesBadSecurityFlagsNamingThem) {
  EXPECT_THAT(
      AgentRefuses({"--tls-cert", tmp_.File("none.crt"), "--tls-key", tmp_.File("server.key")}),
      HasSubstr("--tls-cert"));
  EXPECT_THAT(
      AgentRefuses({"--tls-cert", tmp_.File("server.crt"), "--tls-key", tmp_.File("client.key")}),
      HasSubstr("does not belong to the certificate"));
  ASSERT_EQ(chmod(token_.c_str(), 0644), 0);
  EXPECT_THAT(AgentRefuses({"--token-file", token_}), HasSubstr("--token-file"));
  // There is no flag that takes the token itself: it would show in ps.
  EXPECT_THAT(AgentRefuses({"--token", kToken}), HasSubstr("token"));
}

}  // namespace
}  // namespace onvm::testing
