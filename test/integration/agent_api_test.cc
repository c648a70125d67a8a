// onvm-agent against a real engine over real gRPC: health and reflection,
// status codes for bad input with no state change, persisted state across a
// restart, onvmctl output formats.
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kBase[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: fwd}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: web}
spec: {services: [fwd], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: web-in}
spec:
  priority: 10
  match: {inPort: in, ipProto: tcp, dstPorts: "80-443", dstPrefix: 192.0.2.0/24}
  action: {chain: web}
)";

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    channel_ = grpc::CreateChannel(stack_->api_address(), grpc::InsecureChannelCredentials());
    ASSERT_TRUE(stack_->Apply(kBase).ok());
  }
  void TearDown() override { channel_.reset(); }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + seconds(5));
    return ctx;
  }

  // Everything the agent holds, as onvmctl prints it.
  std::string State() {
    std::string out;
    for (const char* kind : {"services", "chains", "rules"}) {
      CommandResult r = stack_->Onvmctl({"get", kind, "-o", "json"});
      EXPECT_TRUE(r.ok()) << r.output;
      out += r.output;
    }
    return out;
  }

  std::unique_ptr<Stack> stack_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(AgentTest, HealthIsServingAndReflectionListsTheApi) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  // SERVING once the reconciler has seen the engine run the desired state.
  EXPECT_TRUE(WaitFor(
      [&] {
        grpc::Status st = health->Check(Context().get(), req, &resp);
        return st.ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      std::chrono::seconds(5)))
      << resp.DebugString();

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  auto ctx = Context();
  auto stream = reflection->ServerReflectionInfo(ctx.get());
  grpc::reflection::v1alpha::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(stream->Write(list));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse listed;
  ASSERT_TRUE(stream->Read(&listed));
  std::vector<std::string> names;
  for (const auto& s : listed.list_services_response().service()) names.push_back(s.name());
  EXPECT_THAT(names,
              ::testing::IsSupersetOf({"onvm.v1.Services", "onvm.v1.Chains", "onvm.v1.Rules",
                                       "onvm.v1.Ports", "onvm.v1.Instances", "onvm.v1.Manifests"}));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(AgentTest, BadRequestsGetTheRightCodeNameTheFieldAndChangeNothing) {
  const std::string before = State();
  auto rules = onvm::v1::Rules::NewStub(channel_);
  struct Case {
    std::string yaml_match;
    std::string action_chain;
    uint32_t priority;
    grpc::StatusCode code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"10.0.0.0/33", "web", 1, grpc::INVALID_ARGUMENT, "spec.match.dstPrefix"},
      {"10.0.0.0/8", "nosuch", 1, grpc::NOT_FOUND, "spec.action.chain"},
      {"10.0.0.0/8", "web", 70000, grpc::INVALID_ARGUMENT, "spec.priority"},
  };
  for (const Case& c : cases) {
    onvm::v1::CreateRuleRequest req;
    onvm::v1::Rule* r = req.mutable_rule();
    r->mutable_metadata()->set_name("bad");
    r->mutable_spec()->set_priority(c.priority);
    r->mutable_spec()->mutable_match()->set_dst_prefix(c.yaml_match);
    r->mutable_spec()->mutable_action()->set_chain(c.action_chain);
    onvm::v1::Rule out;
    grpc::Status st = rules->CreateRule(Context().get(), req, &out);
    EXPECT_EQ(st.error_code(), c.code) << st.error_message();
    EXPECT_THAT(st.error_message(), HasSubstr(c.field));
  }
  // A different rule under an existing name.
  onvm::v1::CreateRuleRequest dup;
  dup.mutable_rule()->mutable_metadata()->set_name("web-in");
  dup.mutable_rule()->mutable_spec()->mutable_action()->set_drop(true);
  onvm::v1::Rule out;
  EXPECT_EQ(rules->CreateRule(Context().get(), dup, &out).error_code(), grpc::ALREADY_EXISTS);
  // A service a chain still uses.
  auto services = onvm::v1::Services::NewStub(channel_);
  onvm::v1::DeleteServiceRequest del;
  del.set_name("fwd");
  onvm::v1::DeleteServiceResponse del_out;
  grpc::Status st = services->DeleteService(Context().get(), del, &del_out);
  EXPECT_EQ(st.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("web"));
  // A bad name.
  onvm::v1::CreateServiceRequest bad_name;
  bad_name.mutable_service()->mutable_metadata()->set_name("Not_A_Label");
  onvm::v1::Service svc;
  st = services->CreateService(Context().get(), bad_name, &svc);
  EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("metadata.name"));
  // onvmctl reports a rejection with exit code 1 and the server's message.
  const std::string path = stack_->tmp().File("bad.yaml");
  WriteFile(path, R"(
apiVersion: onvm/v1
kind: Chain
metadata: {name: broken}
spec: {services: [nosuch], then: {drop: true}}
)");
  CommandResult r = stack_->Onvmctl({"apply", "-f", path});
  EXPECT_EQ(r.status.code, 1);
  EXPECT_THAT(r.output, HasSubstr("spec.services[0]"));

  EXPECT_EQ(State(), before);
}

TEST_F(AgentTest, CreateAndApplyAreIdempotent) {
  const std::string before = State();
  EXPECT_TRUE(stack_->Apply(kBase).ok());
  CommandResult r = stack_->Onvmctl({"apply", "-f", stack_->tmp().File("manifest-0.yaml")});
  EXPECT_TRUE(r.ok());
  EXPECT_THAT(r.output, HasSubstr("rule/web-in unchanged"));
  EXPECT_EQ(State(), before);
}

TEST_F(AgentTest, OutputFormatsParseBack) {
  CommandResult r = stack_->Onvmctl({"get", "rule", "web-in", "-o", "json"});
  ASSERT_TRUE(r.ok()) << r.output;
  onvm::v1::Rule rule;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.output, &rule).ok()) << r.output;
  EXPECT_EQ(rule.spec().match().dst_ports(), "80-443");
  EXPECT_EQ(rule.kind(), "Rule");

  r = stack_->Onvmctl({"get", "ports", "-o", "json"});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r.output, HasSubstr("\"kind\": \"List\""));
  EXPECT_THAT(r.output, HasSubstr("\"name\": \"in\""));

  // YAML output applies back unchanged.
  r = stack_->Onvmctl({"get", "rules", "-o", "yaml"});
  ASSERT_TRUE(r.ok());
  const std::string path = stack_->tmp().File("roundtrip.yaml");
  WriteFile(path, r.output);
  r = stack_->Onvmctl({"apply", "-f", path});
  EXPECT_TRUE(r.ok()) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rule/web-in unchanged"));

  r = stack_->Onvmctl({"get", "nosuchkind"});
  EXPECT_EQ(r.status.code, 2);
  r = stack_->Onvmctl({"get", "rule", "nosuch"});
  EXPECT_EQ(r.status.code, 1);
  EXPECT_THAT(r.output, HasSubstr("NotFound"));
  CommandResult unreachable =
      RunCommand({BinPath("onvmctl"), "--server", "127.0.0.1:1", "get", "services"});
  EXPECT_EQ(unreachable.status.code, 3);
  EXPECT_THAT(unreachable.output, HasSubstr("127.0.0.1:1"));
}

TEST_F(AgentTest, StateSurvivesAnAgentRestart) {
  const std::string before = State();
  stack_->agent().Stop();
  auto restarted = Process::Start(
      BinPath("onvm-agent"),
      {"--engine", stack_->engine_name(), "--listen", stack_->api_address(), "--metrics-listen",
       stack_->metrics_address(), "--state-dir", stack_->tmp().File("state")},
      stack_->tmp().File("agent-2.log"));
  ASSERT_TRUE(restarted.ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return stack_->Onvmctl({"get", "rules"}).ok();
      },
      seconds(30)))
      << (*restarted)->Describe();
  EXPECT_EQ(State(), before);
}

}  // namespace
}  // namespace onvm::testing
