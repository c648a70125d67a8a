// The agent's gRPC port security (issue 6, item 8): loopback by default, a
// unix socket only its owner and group may use, TLS, mutual TLS, and the
// bearer token for mutating calls. A whole in-process agent against a fake
// engine, real gRPC clients, certificates made with openssl at test time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/agent_server.h"
#include "agent/server_credentials.h"
#include "agent/token_auth.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "onvm/file_contents.h"
#include "onvm/names.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"
#include "test/agent/fake_engine.h"
#include "test/agent/test_certs.h"
#include "test/agent/test_util.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::FakeEngine;
using ::onvm::agent::testing::MakeService;
using ::onvm::agent::testing::TempDir;
using ::testing::HasSubstr;
using Code = grpc::StatusCode;

constexpr char kToken[] = "s3cret-token_0123456789";

std::string ReadAll(const std::string& path) { return ReadFileContents(path).value_or(""); }

void WriteFile(const std::string& path, const std::string& contents, mode_t mode) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  std::fwrite(contents.data(), 1, contents.size(), f);
  std::fclose(f);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

// A loopback TCP port that was free a moment ago.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// --- which methods need the token ---------------------------------------

TEST(TokenAuthTest, MutatingIsDerivedFromTheMethodName) {
  EXPECT_TRUE(IsMutatingMethod("/onvm.v1.Services/CreateService"));
  EXPECT_TRUE(IsMutatingMethod("/onvm.v1.Services/UpdateService"));
  EXPECT_TRUE(IsMutatingMethod("/onvm.v1.Rules/DeleteRule"));
  EXPECT_TRUE(IsMutatingMethod("/onvm.v1.Manifests/Apply"));
  EXPECT_TRUE(IsMutatingMethod("/onvm.v1.Services/ScaleService"));
  // A verb nobody has thought of yet is guarded until decided otherwise.
  EXPECT_TRUE(IsMutatingMethod("/onvm.v1.Engine/Restart"));
  EXPECT_TRUE(IsMutatingMethod("/onvm.v1.Things/Listen"));
  EXPECT_TRUE(IsMutatingMethod("/onvm.v1.Things/Getaway"));
  EXPECT_FALSE(IsMutatingMethod("/onvm.v1.Services/GetService"));
  EXPECT_FALSE(IsMutatingMethod("/onvm.v1.Services/ListServices"));
  EXPECT_FALSE(IsMutatingMethod("/onvm.v1.Events/WatchEvents"));
  EXPECT_FALSE(IsMutatingMethod("/onvm.v1.Engine/GetEngine"));
  EXPECT_FALSE(IsMutatingMethod("/grpc.health.v1.Health/Check"));
  EXPECT_FALSE(IsMutatingMethod("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"));
}

// Every method of the public API falls under a verb whose meaning is
// decided: a new RPC named otherwise fails here, so that someone checks
// whether the name-derived rule guards it as it should.
TEST(TokenAuthTest, EveryPublicMethodHasAKnownVerb) {
  const std::vector<std::string> read_verbs = {"Get", "List", "Watch"};
  const std::vector<std::string> write_verbs = {"Create", "Update", "Delete", "Apply",
                                                "Scale",  "Drain",  "Set"};
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  int methods = 0;
  for (const char* file : {"onvm/v1/apply.proto", "onvm/v1/chain.proto", "onvm/v1/engine.proto",
                           "onvm/v1/event.proto", "onvm/v1/instance.proto", "onvm/v1/port.proto",
                           "onvm/v1/rule.proto", "onvm/v1/service.proto"}) {
    const google::protobuf::FileDescriptor* fd = pool->FindFileByName(file);
    if (fd == nullptr) continue;  // not linked in (event.proto is new)
    for (int s = 0; s < fd->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = fd->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const std::string& name = service->method(m)->name();
        const std::string path = absl::StrCat("/", service->full_name(), "/", name);
        ++methods;
        auto starts = [&](const std::vector<std::string>& verbs) {
          return std::any_of(verbs.begin(), verbs.end(),
                             [&](const std::string& v) { return name.rfind(v, 0) == 0; });
        };
        if (starts(read_verbs)) {
          EXPECT_FALSE(IsMutatingMethod(path)) << path;
        } else {
          EXPECT_TRUE(starts(write_verbs)) << path << ": decide whether it reads or writes";
          EXPECT_TRUE(IsMutatingMethod(path)) << path;
        }
      }
    }
  }
  EXPECT_GE(methods, 19);
}

TEST(TokenAuthTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", ""));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(TokenAuthTest, CheckCall) {
  const std::string create = "/onvm.v1.Services/CreateService";
  const std::string list = "/onvm.v1.Services/ListServices";
  EXPECT_TRUE(CheckCall(kToken, create, absl::StrCat("Bearer ", kToken)).ok());
  EXPECT_TRUE(CheckCall(kToken, create, absl::StrCat("bearer ", kToken)).ok());
  EXPECT_TRUE(CheckCall(kToken, list, std::nullopt).ok());
  const absl::Status missing = CheckCall(kToken, create, std::nullopt);
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(missing.message(), HasSubstr("CreateService"));
  EXPECT_THAT(missing.message(), HasSubstr("authorization: Bearer"));
  EXPECT_EQ(CheckCall(kToken, create, "Bearer wrong").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckCall(kToken, create, kToken).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckCall(kToken, create, "Basic abc").code(), absl::StatusCode::kUnauthenticated);
  // A token that is presented is checked on read-only calls too.
  EXPECT_EQ(CheckCall(kToken, list, "Bearer wrong").code(), absl::StatusCode::kUnauthenticated);
}

TEST(TokenAuthTest, TokenFile) {
  TempDir dir;
  const std::string path = absl::StrCat(dir.path(), "/token");
  WriteFile(path, absl::StrCat(kToken, "\n"), 0600);
  absl::StatusOr<std::string> token = ReadTokenFile("--token-file", path);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, kToken);

  WriteFile(path, "", 0600);
  EXPECT_THAT(ReadTokenFile("--token-file", path).status().message(), HasSubstr("--token-file"));
  WriteFile(path, " \n", 0600);
  EXPECT_THAT(ReadTokenFile("--token-file", path).status().message(), HasSubstr("whitespace"));
  WriteFile(path, "two words", 0600);
  EXPECT_FALSE(ReadTokenFile("--token-file", path).ok());
  WriteFile(path, kToken, 0644);
  const absl::Status world = ReadTokenFile("--token-file", path).status();
  EXPECT_THAT(world.message(), HasSubstr("--token-file"));
  EXPECT_THAT(world.message(), HasSubstr("chmod 600"));
  WriteFile(path, kToken, 0640);  // the group is trusted
  EXPECT_TRUE(ReadTokenFile("--token-file", path).ok());
  EXPECT_THAT(ReadTokenFile("--token-file", dir.path() + "/none").status().message(),
              HasSubstr("No such file"));
}

TEST(ServerCredentialsTest, LocalAddresses) {
  EXPECT_EQ(AgentOptions().listen, "127.0.0.1:50051");
  EXPECT_TRUE(IsLocalAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLocalAddress("localhost:1"));
  EXPECT_TRUE(IsLocalAddress("[::1]:50051"));
  EXPECT_TRUE(IsLocalAddress("unix:/run/onvm/agent.sock"));
  EXPECT_FALSE(IsLocalAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLocalAddress("[::]:50051"));
  EXPECT_FALSE(IsLocalAddress("10.1.2.3:50051"));
}

// --- a whole agent --------------------------------------------------------

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new TempDir();
    const absl::Status made = testing_certs::MakeTestCerts(certs_->path());
    ASSERT_TRUE(made.ok()) << made;
  }
  static void TearDownTestSuite() {
    delete certs_;  // removes the certificates
    certs_ = nullptr;
  }
  static std::string Cert(const std::string& name) {
    return absl::StrCat(certs_->path(), "/", name);
  }
  static std::string Pem(const std::string& name) { return ReadAll(Cert(name)); }

  void SetUp() override {
    ASSERT_FALSE(Pem("server.crt").empty()) << "no test certificates";
    setenv("ONVM_RUN_DIR", run_dir_.path().c_str(), 1);
    static int n = 0;
    engine_name_ = absl::StrCat("security-", getpid(), "-", ++n);
    engine_ = std::make_unique<FakeEngine>(PathsForEngine(engine_name_).control_socket,
                                           std::vector<std::string>{"wan", "lan"});
    token_file_ = absl::StrCat(run_dir_.path(), "/token");
    WriteFile(token_file_, absl::StrCat(kToken, "\n"), 0600);
  }

  AgentOptions Options(const std::string& listen, const ServerSecurityOptions& security) {
    AgentOptions options;
    options.engine = engine_name_;
    options.listen = listen;
    options.metrics_listen = "127.0.0.1:0";
    options.state_dir = state_dir_.path();
    options.security = security;
    return options;
  }

  // Starts the agent on a free loopback port; returns its address.
  std::string StartTcp(const ServerSecurityOptions& security) {
    const std::string listen = absl::StrCat("127.0.0.1:", FreePort());
    Start(Options(listen, security));
    return listen;
  }
  void Start(const AgentOptions& options) {
    absl::StatusOr<std::unique_ptr<AgentServer>> agent = AgentServer::Start(options);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
  }

  static ServerSecurityOptions Tls() {
    ServerSecurityOptions s;
    s.tls_cert = Cert("server.crt");
    s.tls_key = Cert("server.key");
    return s;
  }
  static ServerSecurityOptions Mtls() {
    ServerSecurityOptions s = Tls();
    s.tls_client_ca = Cert("ca.crt");
    return s;
  }
  static std::shared_ptr<grpc::ChannelCredentials> ClientTls(const std::string& ca,
                                                             const std::string& client = "") {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Pem(ca);
    if (!client.empty()) {
      o.pem_cert_chain = Pem(client + ".crt");
      o.pem_private_key = Pem(client + ".key");
    }
    return grpc::SslCredentials(o);
  }

  // ListServices over `creds`, with `token` as bearer token when not empty.
  static grpc::Status List(const std::string& target,
                           const std::shared_ptr<grpc::ChannelCredentials>& creds,
                           onvm::v1::ListServicesResponse* out = nullptr,
                           const std::string& token = "") {
    auto stub = onvm::v1::Services::NewStub(grpc::CreateChannel(target, creds));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    onvm::v1::ListServicesResponse ignored;
    return stub->ListServices(&ctx, {}, out != nullptr ? out : &ignored);
  }
  static grpc::Status Create(const std::string& target,
                             const std::shared_ptr<grpc::ChannelCredentials>& creds,
                             const std::string& name, const std::string& authorization) {
    auto stub = onvm::v1::Services::NewStub(grpc::CreateChannel(target, creds));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    onvm::v1::CreateServiceRequest req;
    *req.mutable_service() = MakeService(name);
    onvm::v1::Service out;
    return stub->CreateService(&ctx, req, &out);
  }

  std::string StateFile() { return ReadAll(absl::StrCat(state_dir_.path(), "/state.json")); }

  static TempDir* certs_;
  TempDir run_dir_;
  TempDir state_dir_;
  std::string engine_name_;
  std::string token_file_;
  std::unique_ptr<FakeEngine> engine_;
  std::unique_ptr<AgentServer> agent_;
};

TempDir* SecurityTest::certs_ = nullptr;

TEST_F(SecurityTest, UnixSocketIsForOwnerAndGroupAndRemovedOnStop) {
  const std::string path = absl::StrCat(run_dir_.path(), "/agent.sock");
  Start(Options(absl::StrCat("unix:", path), {}));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_TRUE(List(absl::StrCat("unix:", path), grpc::InsecureChannelCredentials()).ok());
  agent_->Shutdown();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(SecurityTest, TlsClientTrustingTheCaIsServed) {
  const std::string target = StartTcp(Tls());
  const grpc::Status status = List(target, ClientTls("ca.crt"));
  EXPECT_TRUE(status.ok()) << status.error_message();
  // By name too: the certificate names localhost as well as 127.0.0.1.
  const std::string by_name = absl::StrCat("localhost", target.substr(target.rfind(':')));
  EXPECT_TRUE(List(by_name, ClientTls("ca.crt")).ok());
}

TEST_F(SecurityTest, TlsOverUnixSocket) {
  const std::string target = absl::StrCat("unix:", run_dir_.path(), "/agent.sock");
  Start(Options(target, Tls()));
  const grpc::Status status = List(target, ClientTls("ca.crt"));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(List(target, grpc::InsecureChannelCredentials()).ok());
}

TEST_F(SecurityTest, PlaintextClientOrUntrustedCaIsNotServed) {
  const std::string target = StartTcp(Tls());
  EXPECT_EQ(List(target, grpc::InsecureChannelCredentials()).error_code(), Code::UNAVAILABLE);
  EXPECT_EQ(List(target, ClientTls("rogue-ca.crt")).error_code(), Code::UNAVAILABLE);
}

TEST_F(SecurityTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  const std::string target = StartTcp(Mtls());
  const grpc::Status good = List(target, ClientTls("ca.crt", "client"));
  EXPECT_TRUE(good.ok()) << good.error_message();
  const grpc::Status none = List(target, ClientTls("ca.crt"));
  EXPECT_FALSE(none.ok());
  EXPECT_EQ(none.error_code(), Code::UNAVAILABLE) << none.error_message();
  const grpc::Status rogue = List(target, ClientTls("ca.crt", "rogue-client"));
  EXPECT_FALSE(rogue.ok());
  EXPECT_EQ(rogue.error_code(), Code::UNAVAILABLE) << rogue.error_message();
  EXPECT_FALSE(List(target, grpc::InsecureChannelCredentials()).ok());
}

TEST_F(SecurityTest, TokenGuardsMutatingCallsOnly) {
  ServerSecurityOptions security;
  security.token_file = token_file_;
  const std::string target = absl::StrCat("unix:", run_dir_.path(), "/agent.sock");
  Start(Options(target, security));
  const auto plain = grpc::InsecureChannelCredentials();
  ASSERT_TRUE(Create(target, plain, "first", absl::StrCat("Bearer ", kToken)).ok());

  onvm::v1::ListServicesResponse before;
  ASSERT_TRUE(List(target, plain, &before).ok());  // read-only: no token needed
  ASSERT_EQ(before.items_size(), 1);
  const std::string file = StateFile();
  ASSERT_FALSE(file.empty());
  const size_t pushes = engine_->config_count();

  for (const std::string& authorization :
       {std::string(), std::string("Bearer wrong"), absl::StrCat("Bearer ", kToken, "x"),
        std::string("Bearer "), std::string(kToken), absl::StrCat("Basic ", kToken)}) {
    SCOPED_TRACE(authorization);
    const grpc::Status status = Create(target, plain, "second", authorization);
    EXPECT_EQ(status.error_code(), Code::UNAUTHENTICATED) << status.error_message();
  }
  EXPECT_THAT(Create(target, plain, "second", "").error_message(),
              HasSubstr("authorization: Bearer <token>"));

  // Apply and Delete are guarded the same way.
  {
    auto manifests = onvm::v1::Manifests::NewStub(grpc::CreateChannel(target, plain));
    grpc::ClientContext ctx;
    onvm::v1::ApplyRequest req;
    *req.add_resources()->mutable_service() = MakeService("third");
    onvm::v1::ApplyResponse resp;
    EXPECT_EQ(manifests->Apply(&ctx, req, &resp).error_code(), Code::UNAUTHENTICATED);
    auto services = onvm::v1::Services::NewStub(grpc::CreateChannel(target, plain));
    grpc::ClientContext del_ctx;
    onvm::v1::DeleteServiceRequest del;
    del.set_name("first");
    onvm::v1::DeleteServiceResponse del_resp;
    EXPECT_EQ(services->DeleteService(&del_ctx, del, &del_resp).error_code(),
              Code::UNAUTHENTICATED);
  }

  onvm::v1::ListServicesResponse after;
  ASSERT_TRUE(List(target, plain, &after).ok());
  EXPECT_EQ(after.DebugString(), before.DebugString());
  EXPECT_EQ(StateFile(), file);
  EXPECT_EQ(engine_->config_count(), pushes);

  // A wrong token is refused even where none is needed.
  EXPECT_EQ(List(target, plain, nullptr, "wrong").error_code(), Code::UNAUTHENTICATED);
  EXPECT_TRUE(List(target, plain, nullptr, kToken).ok());

  // Health checks need no token.
  grpc::GenericStub generic(grpc::CreateChannel(target, plain));
  grpc::ClientContext ctx;
  grpc::Slice empty;  // an empty HealthCheckRequest
  grpc::ByteBuffer request(&empty, 1), response;
  grpc::Status health;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", {}, &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      health = std::move(s);
                      done = true;
                      cv.notify_all();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  EXPECT_TRUE(health.ok()) << health.error_message();

  ASSERT_TRUE(Create(target, plain, "second", absl::StrCat("Bearer ", kToken)).ok());
  ASSERT_TRUE(List(target, plain, &after).ok());
  EXPECT_EQ(after.items_size(), 2);
}

TEST_F(SecurityTest, TokenOverMutualTls) {
  ServerSecurityOptions security = Mtls();
  security.token_file = token_file_;
  const std::string target = StartTcp(security);
  const auto creds = ClientTls("ca.crt", "client");
  EXPECT_EQ(Create(target, creds, "fw", "").error_code(), Code::UNAUTHENTICATED);
  const grpc::Status ok = Create(target, creds, "fw", absl::StrCat("Bearer ", kToken));
  EXPECT_TRUE(ok.ok()) << ok.error_message();
}

TEST_F(SecurityTest, BadFlagsStopTheAgentNamingTheFlag) {
  struct Case {
    std::string what;
    std::function<void(ServerSecurityOptions*)> change;
    std::vector<std::string> parts;
  };
  const std::string missing = absl::StrCat(run_dir_.path(), "/missing.pem");
  const std::string world_token = absl::StrCat(run_dir_.path(), "/world-token");
  WriteFile(world_token, kToken, 0644);
  const std::string empty_token = absl::StrCat(run_dir_.path(), "/empty-token");
  WriteFile(empty_token, "", 0600);
  const std::string world_key = absl::StrCat(run_dir_.path(), "/world.key");
  WriteFile(world_key, Pem("server.key"), 0644);
  const std::string not_pem = absl::StrCat(run_dir_.path(), "/not.pem");
  WriteFile(not_pem, "hello\n", 0600);
  const std::vector<Case> cases = {
      {"cert missing", [&](auto* s) { s->tls_cert = missing; }, {"--tls-cert", "No such file"}},
      {"key missing", [&](auto* s) { s->tls_key = missing; }, {"--tls-key", "No such file"}},
      {"key of another certificate",
       [&](auto* s) { s->tls_key = Cert("client.key"); },
       {"--tls-key", "does not belong", "--tls-cert"}},
      {"cert is not PEM", [&](auto* s) { s->tls_cert = not_pem; }, {"--tls-cert", "PEM"}},
      {"key is not PEM", [&](auto* s) { s->tls_key = not_pem; }, {"--tls-key", "private key"}},
      {"key readable by all", [&](auto* s) { s->tls_key = world_key; }, {"--tls-key", "chmod"}},
      {"key without cert", [&](auto* s) { s->tls_cert.clear(); }, {"--tls-key needs --tls-cert"}},
      {"cert without key", [&](auto* s) { s->tls_key.clear(); }, {"--tls-cert needs --tls-key"}},
      {"client CA without TLS",
       [&](auto* s) {
         s->tls_cert.clear();
         s->tls_key.clear();
         s->tls_client_ca = Cert("ca.crt");
       },
       {"--tls-client-ca needs --tls-cert"}},
      {"client CA missing", [&](auto* s) { s->tls_client_ca = missing; }, {"--tls-client-ca"}},
      {"client CA not PEM", [&](auto* s) { s->tls_client_ca = not_pem; }, {"--tls-client-ca"}},
      {"token file missing", [&](auto* s) { s->token_file = missing; }, {"--token-file"}},
      {"token file empty",
       [&](auto* s) { s->token_file = empty_token; },
       {"--token-file", "empty"}},
      {"token file readable by all",
       [&](auto* s) { s->token_file = world_token; },
       {"--token-file", "chmod 600"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ServerSecurityOptions security = Tls();
    c.change(&security);
    absl::StatusOr<std::unique_ptr<AgentServer>> agent = AgentServer::Start(
        Options(absl::StrCat("unix:", run_dir_.path(), "/agent.sock"), security));
    ASSERT_FALSE(agent.ok());
    for (const std::string& part : c.parts) {
      EXPECT_THAT(agent.status().message(), HasSubstr(part));
    }
  }
  // Nothing was started: no state file written, no engine contacted.
  EXPECT_TRUE(StateFile().empty());
  EXPECT_EQ(engine_->config_count(), 0u);
}

}  // namespace
}  // namespace onvm::agent
