// The Events API of the whole in-process agent (against a fake engine):
// what a watcher sees when resources change, the engine comes and goes and
// NF instances appear and vanish; resuming by sequence; slow watchers cut
// off; and shutdown with streams still open.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/agent_server.h"
#include "agent/event_hub.h"
#include "agent/events_api.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "onvm/names.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/event.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"
#include "test/agent/agent_fixture.h"
#include "test/agent/fake_engine.h"
#include "test/agent/test_util.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::WaitFor;

using ::onvm::agent::testing::FakeEngine;
using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeService;
using ::onvm::agent::testing::TempDir;
using onvm::v1::Event;
using ::testing::HasSubstr;

constexpr auto kTimeout = std::chrono::seconds(20);

// One WatchEvents call, with a deadline so that a broken test fails
// instead of hanging.
struct Watch {
  Watch(onvm::v1::Events::Stub* stub, const onvm::v1::WatchEventsRequest& request) {
    context.set_deadline(std::chrono::system_clock::now() + kTimeout);
    reader = stub->WatchEvents(&context, request);
    // Sent by the agent once the subscription is in place.
    reader->WaitForInitialMetadata();
  }
  // Reads until an event matches `want` (returned) or the stream ends.
  std::optional<Event> ReadUntil(const std::function<bool(const Event&)>& want) {
    Event e;
    while (reader->Read(&e)) {
      seen.push_back(e);
      if (want(e)) return e;
    }
    return std::nullopt;
  }
  grpc::Status Finish() {
    context.TryCancel();
    return reader->Finish();
  }
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<Event>> reader;
  std::vector<Event> seen;
};

std::function<bool(const Event&)> Is(Event::Type type, const std::string& name = "") {
  return [type, name](const Event& e) {
    return e.type() == type && (name.empty() || e.object().name() == name);
  };
}

onvm::v1::WatchEventsRequest WatchKinds(std::vector<std::string> kinds) {
  onvm::v1::WatchEventsRequest request;
  for (const std::string& k : kinds) request.mutable_filter()->add_kinds(k);
  return request;
}

class EventsTest : public testing::AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    events_ = onvm::v1::Events::NewStub(channel_);
  }

  onvm::v1::ListEventsResponse List(onvm::v1::ListEventsRequest request = {}) {
    grpc::ClientContext ctx;
    onvm::v1::ListEventsResponse response;
    grpc::Status status = events_->ListEvents(&ctx, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status CreateService(const std::string& name) {
    grpc::ClientContext ctx;
    onvm::v1::CreateServiceRequest request;
    *request.mutable_service() = MakeService(name);
    onvm::v1::Service out;
    return services_->CreateService(&ctx, request, &out);
  }

  grpc::Status DeleteService(const std::string& name) {
    grpc::ClientContext ctx;
    onvm::v1::DeleteServiceRequest request;
    request.set_name(name);
    onvm::v1::DeleteServiceResponse out;
    return services_->DeleteService(&ctx, request, &out);
  }

  std::optional<onvm::v1::InstanceStatus::State> InstanceState(const std::string& name) {
    grpc::ClientContext ctx;
    onvm::v1::GetInstanceRequest request;
    request.set_name(name);
    onvm::v1::Instance out;
    if (!instances_->GetInstance(&ctx, request, &out).ok()) return std::nullopt;
    return out.status().state();
  }

  std::unique_ptr<onvm::v1::Events::Stub> events_;
};

TEST_F(EventsTest, AgentStartReportsEngineUp) {
  onvm::v1::ListEventsRequest request;
  request.mutable_filter()->add_kinds("Engine");
  ASSERT_TRUE(WaitFor([&] { return List(request).events_size() >= 2; }, kTimeout));
  onvm::v1::ListEventsResponse listed = List(request);
  EXPECT_EQ(listed.events(0).type(), Event::ENGINE_UP);
  EXPECT_EQ(listed.events(0).boot_id(), "boot-1");
  EXPECT_EQ(listed.events(0).object().name(), engine_name_);
  // The reconciler's first push.
  EXPECT_EQ(listed.events(1).type(), Event::CONFIG_APPLIED);
}

TEST_F(EventsTest, WatcherSeesCreatedAndConfigApplied) {
  Watch watch(events_.get(), onvm::v1::WatchEventsRequest());
  ASSERT_TRUE(CreateService("fw").ok());
  const uint64_t generation = engine_->last_config().generation();

  // (The reconciler's first push, of an earlier generation, may come first.)
  std::optional<Event> applied = watch.ReadUntil([&](const Event& e) {
    return e.type() == Event::CONFIG_APPLIED && e.desired_generation() == generation;
  });
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(applied->desired_generation(), generation);
  EXPECT_EQ(applied->applied_generation(), generation);
  EXPECT_EQ(applied->boot_id(), "boot-1");
  EXPECT_EQ(applied->object().kind(), "Engine");

  std::optional<Event> created = watch.ReadUntil(Is(Event::RESOURCE_CREATED, "fw"));
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->object().kind(), "Service");
  EXPECT_EQ(created->resource_generation(), 1u);
  EXPECT_THAT(created->message(), HasSubstr("created service \"fw\""));
  EXPECT_GT(created->sequence(), applied->sequence());
  EXPECT_GT(created->time().seconds(), 0);
}

TEST_F(EventsTest, UpdateDeleteAndApplyAreReportedPerResource) {
  onvm::v1::WatchEventsRequest request = WatchKinds({"service", "chain"});
  Watch watch(events_.get(), request);
  ASSERT_TRUE(CreateService("fw").ok());
  {
    grpc::ClientContext ctx;
    onvm::v1::UpdateServiceRequest update;
    *update.mutable_service() = MakeService("fw", 3);
    update.mutable_update_mask()->add_paths("spec.replicas");
    onvm::v1::Service out;
    ASSERT_TRUE(services_->UpdateService(&ctx, update, &out).ok());
  }
  {
    grpc::ClientContext ctx;
    onvm::v1::ApplyRequest apply;
    *apply.add_resources()->mutable_service() = MakeService("mon");
    *apply.add_resources()->mutable_chain() = MakeChain("web", {"fw", "mon"});
    onvm::v1::ApplyResponse out;
    ASSERT_TRUE(manifests_->Apply(&ctx, apply, &out).ok());
  }
  std::optional<Event> updated = watch.ReadUntil(Is(Event::RESOURCE_UPDATED, "fw"));
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->resource_generation(), 2u);
  ASSERT_TRUE(watch.ReadUntil(Is(Event::RESOURCE_CREATED, "web")).has_value());

  {
    grpc::ClientContext ctx;
    onvm::v1::DeleteChainRequest del;
    del.set_name("web");
    onvm::v1::DeleteChainResponse out;
    ASSERT_TRUE(chains_->DeleteChain(&ctx, del, &out).ok());
  }
  std::optional<Event> deleted = watch.ReadUntil(Is(Event::RESOURCE_DELETED, "web"));
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->object().kind(), "Chain");

  // Only the kinds asked for, in order, each resource change once.
  std::vector<std::string> got;
  for (const Event& e : watch.seen) {
    EXPECT_TRUE(e.object().kind() == "Service" || e.object().kind() == "Chain") << e.DebugString();
    got.push_back(absl::StrCat(Event::Type_Name(e.type()), " ", e.object().name()));
  }
  EXPECT_THAT(got, ::testing::ElementsAre("RESOURCE_CREATED fw", "RESOURCE_UPDATED fw",
                                          "RESOURCE_CREATED web", "RESOURCE_CREATED mon",
                                          "RESOURCE_DELETED web"));
}

TEST_F(EventsTest, ResumeWithSinceSequenceHasNoGaps) {
  uint64_t last_seen = 0;
  {
    Watch watch(events_.get(), onvm::v1::WatchEventsRequest());
    ASSERT_TRUE(CreateService("a").ok());
    std::optional<Event> a = watch.ReadUntil(Is(Event::RESOURCE_CREATED, "a"));
    ASSERT_TRUE(a.has_value());
    last_seen = a->sequence();
    EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // Changes while no one watches.
  ASSERT_TRUE(CreateService("b").ok());
  ASSERT_TRUE(CreateService("c").ok());

  onvm::v1::WatchEventsRequest resume;
  resume.set_since_sequence(last_seen);
  Watch watch(events_.get(), resume);
  ASSERT_TRUE(CreateService("d").ok());
  ASSERT_TRUE(watch.ReadUntil(Is(Event::RESOURCE_CREATED, "d")).has_value());
  std::vector<std::string> created;
  uint64_t expect = last_seen + 1;
  for (const Event& e : watch.seen) {
    EXPECT_EQ(e.sequence(), expect++) << "gap or repeat before " << e.DebugString();
    if (e.type() == Event::RESOURCE_CREATED) created.push_back(e.object().name());
  }
  EXPECT_THAT(created, ::testing::ElementsAre("b", "c", "d"));
}

TEST_F(EventsTest, ResumeFromTheFutureIsOutOfRange) {
  onvm::v1::WatchEventsRequest request;
  request.set_since_sequence(List().last_sequence() + 1000);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
  auto reader = events_->WatchEvents(&ctx, request);
  Event e;
  EXPECT_FALSE(reader->Read(&e));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("since_sequence"));
}

TEST_F(EventsTest, BadFilterIsInvalidArgument) {
  onvm::v1::ListEventsRequest request;
  request.mutable_filter()->add_kinds("Pod");
  grpc::ClientContext ctx;
  onvm::v1::ListEventsResponse response;
  grpc::Status status = events_->ListEvents(&ctx, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("filter.kinds[0]"));

  onvm::v1::WatchEventsRequest watch;
  for (int i = 0; i < EventsApi::kMaxFilterEntries + 1; ++i) watch.mutable_filter()->add_names("x");
  grpc::ClientContext wctx;
  auto reader = events_->WatchEvents(&wctx, watch);
  Event e;
  EXPECT_FALSE(reader->Read(&e));
  status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("filter.names"));
}

TEST_F(EventsTest, ListEventsFiltersByObjectAndIsNewestLast) {
  ASSERT_TRUE(CreateService("fw").ok());
  ASSERT_TRUE(CreateService("mon").ok());
  ASSERT_TRUE(DeleteService("fw").ok());
  onvm::v1::ListEventsRequest request;
  request.mutable_filter()->add_kinds("Service");
  request.mutable_filter()->add_names("fw");
  onvm::v1::ListEventsResponse listed = List(request);
  ASSERT_EQ(listed.events_size(), 2);
  EXPECT_EQ(listed.events(0).type(), Event::RESOURCE_CREATED);
  EXPECT_EQ(listed.events(1).type(), Event::RESOURCE_DELETED);
  EXPECT_LT(listed.events(0).sequence(), listed.events(1).sequence());
  EXPECT_GE(listed.last_sequence(), listed.events(1).sequence());
  request.set_limit(1);
  listed = List(request);
  ASSERT_EQ(listed.events_size(), 1);
  EXPECT_EQ(listed.events(0).type(), Event::RESOURCE_DELETED);
}

TEST_F(EventsTest, EngineRestartIsDownThenUpWithTheNewBootId) {
  Watch watch(events_.get(), WatchKinds({"Engine"}));
  engine_->Restart("boot-2");
  std::optional<Event> down = watch.ReadUntil(Is(Event::ENGINE_DOWN));
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->boot_id(), "boot-1");
  std::optional<Event> up = watch.ReadUntil(Is(Event::ENGINE_UP));
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->boot_id(), "boot-2");
  EXPECT_THAT(up->message(), HasSubstr("restarted"));
  // The reconciler hands the new engine the desired state.
  ASSERT_TRUE(watch.ReadUntil(Is(Event::CONFIG_APPLIED)).has_value());
}

TEST_F(EventsTest, EngineGoneAndBack) {
  Watch watch(events_.get(), WatchKinds({"Engine"}));
  const std::string socket = PathsForEngine(engine_name_).control_socket;
  engine_.reset();
  ASSERT_TRUE(watch.ReadUntil(Is(Event::ENGINE_DOWN)).has_value());
  engine_ = std::make_unique<FakeEngine>(socket, std::vector<std::string>{"wan", "lan"});
  std::optional<Event> up = watch.ReadUntil(Is(Event::ENGINE_UP));
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->boot_id(), "boot-1");
}

TEST_F(EventsTest, InstancesStartStopAndVanish) {
  ASSERT_TRUE(CreateService("fw").ok());
  Watch watch(events_.get(), WatchKinds({"Instance"}));
  engine_->AddInstance("fw", 1);
  engine_->AddInstance("fw", 2);
  ASSERT_TRUE(watch.ReadUntil(Is(Event::INSTANCE_STARTED, "fw-2")).has_value());

  // fw-1 dies without draining.
  engine_->RemoveInstance(1);
  std::optional<Event> gone = watch.ReadUntil(Is(Event::INSTANCE_GONE, "fw-1"));
  ASSERT_TRUE(gone.has_value());
  EXPECT_THAT(gone->message(), HasSubstr("without a clean stop"));

  // fw-2 drains (and the agent sees it), then leaves.
  engine_->DrainInstance(2);
  ASSERT_TRUE(WaitFor([&] { return InstanceState("fw-2") == onvm::v1::InstanceStatus::DRAINING; },
                      kTimeout));
  engine_->RemoveInstance(2);
  ASSERT_TRUE(watch.ReadUntil(Is(Event::INSTANCE_STOPPED, "fw-2")).has_value());

  std::vector<std::string> got;
  for (const Event& e : watch.seen) {
    got.push_back(absl::StrCat(Event::Type_Name(e.type()), " ", e.object().name()));
  }
  EXPECT_THAT(got, ::testing::ElementsAre("INSTANCE_STARTED fw-1", "INSTANCE_STARTED fw-2",
                                          "INSTANCE_GONE fw-1", "INSTANCE_STOPPED fw-2"));
}

TEST_F(EventsTest, ShutdownWithOpenStreamsIsPrompt) {
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 3; ++i) {
    watches.push_back(std::make_unique<Watch>(events_.get(), onvm::v1::WatchEventsRequest()));
  }
  const auto start = std::chrono::steady_clock::now();
  agent_->Shutdown();
  const auto took = std::chrono::steady_clock::now() - start;
  // Without ending the streams, Shutdown waits out its 2 s grace period
  // and then for the handlers to notice the cancellation.
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  for (auto& watch : watches) {
    Event e;
    while (watch->reader->Read(&e)) {
    }
    grpc::Status status = watch->reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
}

// A watcher that stops reading: its stream ends with RESOURCE_EXHAUSTED
// once its queue is full, and publishing goes on at full speed. An Events
// service of its own, so that the queue can be small.
TEST(EventsSlowClientTest, SlowWatcherIsCutOffWithoutBlockingPublishers) {
  TempDir dir;
  EventHub hub(EventHub::Options{.ring_size = 64, .queue_size = 8});
  EventsApi api(&hub);
  const std::string address = absl::StrCat("unix:", dir.path(), "/events.sock");
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&api);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub =
      onvm::v1::Events::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));

  Watch watch(stub.get(), onvm::v1::WatchEventsRequest());
  ASSERT_EQ(hub.subscriber_count(), 1u);
  // Big events fill gRPC's flow-control windows quickly; then the handler
  // blocks in Write and the hub queue overflows. Every Publish returns
  // regardless.
  Event big;
  big.set_type(Event::RESOURCE_UPDATED);
  big.mutable_object()->set_kind("Service");
  big.mutable_object()->set_name("fw");
  big.set_message(std::string(16 << 10, 'x'));
  int published = 0;
  const auto start = std::chrono::steady_clock::now();
  while (hub.subscriber_count() > 0 && published < 200000) {
    hub.Publish(big);
    ++published;
  }
  EXPECT_EQ(hub.subscriber_count(), 0u) << "still subscribed after " << published << " events";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));

  // Now the client reads: what was already on the wire, then the end.
  EXPECT_FALSE(watch.ReadUntil([](const Event&) { return false; }).has_value());
  EXPECT_LT(watch.seen.size(), static_cast<size_t>(published));
  for (size_t i = 0; i < watch.seen.size(); ++i) EXPECT_EQ(watch.seen[i].sequence(), i + 1);
  grpc::Status status = watch.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("since_sequence"));
  hub.Shutdown();
  server->Shutdown();
}

}  // namespace
}  // namespace onvm::agent
