// Pagination of every List call (issue 6): page tokens, page sizes, and
// walks that stay exact while resources come and go between pages.
#include "agent/pagination.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/agent/agent_fixture.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::AgentFixture;
using ::onvm::agent::testing::Eventually;
using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Code = grpc::StatusCode;

TEST(PageRequestTest, SizesAndTokens) {
  absl::StatusOr<PageQuery> q = ParsePageRequest("ListRules", 0, "");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->size, static_cast<size_t>(kDefaultPageSize));
  EXPECT_EQ(q->after, "");
  q = ParsePageRequest("ListRules", 5000, "");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->size, static_cast<size_t>(kMaxPageSize));
  q = ParsePageRequest("ListRules", 3, NextPageToken("ListRules", "web-in"));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->size, 3u);
  EXPECT_EQ(q->after, "web-in");

  q = ParsePageRequest("ListRules", -1, "");
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(q.status().message(), HasSubstr("page_size"));

  for (const std::string& token : {
           std::string("not base64 !"),
           absl::WebSafeBase64Escape("web-in"),
           absl::WebSafeBase64Escape("onvm-page-1|ListRules|"),
           absl::WebSafeBase64Escape("onvm-page-1|ListRules|Not_A_Name"),
           absl::WebSafeBase64Escape("onvm-page-1|ListRules"),
           NextPageToken("ListChains", "web"),
       }) {
    SCOPED_TRACE(token);
    q = ParsePageRequest("ListRules", 0, token);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(q.status().message(), HasSubstr("page_token"));
  }
}

TEST(PageRequestTest, KeepPageSlicesAfterTheTokenName) {
  std::vector<onvm::v1::Port> ports;
  for (const char* name : {"d", "a", "c", "b"}) {
    ports.emplace_back().mutable_metadata()->set_name(name);
  }
  std::string next;
  PageQuery query{.after = "a", .size = 2};
  KeepPage("ListPorts", query, &ports, &next);
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0].metadata().name(), "b");
  EXPECT_EQ(ports[1].metadata().name(), "c");
  EXPECT_EQ(next, NextPageToken("ListPorts", "c"));
}

class PaginationTest : public AgentFixture {
 protected:
  // One page of services.
  onvm::v1::ListServicesResponse ServicesPage(int32_t size, const std::string& token,
                                              grpc::Status* status = nullptr) {
    onvm::v1::ListServicesRequest req;
    req.set_page_size(size);
    req.set_page_token(token);
    onvm::v1::ListServicesResponse resp;
    grpc::Status st =
        Call([&](grpc::ClientContext* c) { return services_->ListServices(c, req, &resp); });
    if (status != nullptr) {
      *status = st;
    } else {
      EXPECT_TRUE(st.ok()) << st.error_message();
    }
    return resp;
  }

  void ApplyServices(int first, int count) {
    onvm::v1::ApplyRequest req;
    for (int i = first; i < first + count; ++i) {
      *req.add_resources()->mutable_service() = MakeService(absl::StrCat("svc-", 1000 + i));
    }
    ASSERT_TRUE(Apply(req).ok());
  }

  void ApplyNamed(const std::string& name) {
    onvm::v1::ApplyRequest req;
    *req.add_resources()->mutable_service() = MakeService(name);
    ASSERT_TRUE(Apply(req).ok());
  }

  void DeleteService(const std::string& name) {
    onvm::v1::DeleteServiceRequest req;
    req.set_name(name);
    onvm::v1::DeleteServiceResponse resp;
    ASSERT_TRUE(
        Call([&](grpc::ClientContext* c) { return services_->DeleteService(c, req, &resp); }).ok());
  }
};

TEST_F(PaginationTest, DefaultPageIsBoundedAndTheWalkCoversEverything) {
  ApplyServices(0, 250);
  onvm::v1::ListServicesResponse page = ServicesPage(0, "");
  EXPECT_EQ(page.items_size(), kDefaultPageSize);
  EXPECT_FALSE(page.next_page_token().empty());
  std::vector<std::string> all;
  std::string token;
  int pages = 0;
  do {
    page = ServicesPage(0, token);
    for (const auto& s : page.items()) all.push_back(s.metadata().name());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 250u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 250u);

  // Exactly a page's worth: the last page says so without an empty one.
  page = ServicesPage(250, "");
  EXPECT_EQ(page.items_size(), 250);
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST_F(PaginationTest, WalkStaysExactWhileServicesComeAndGo) {
  ApplyServices(0, 40);  // svc-1000 .. svc-1039
  std::set<std::string> kept;
  for (int i = 0; i < 40; ++i) kept.insert(absl::StrCat("svc-", 1000 + i));
  std::vector<std::string> seen;
  std::string token;
  int round = 0;
  do {
    onvm::v1::ListServicesResponse page = ServicesPage(7, token);
    for (const auto& s : page.items()) seen.push_back(s.metadata().name());
    token = page.next_page_token();
    // Between pages: remove one not seen yet and one already seen, and add
    // one before and one after the walk's position.
    ++round;
    const std::string ahead = absl::StrCat("svc-", 1039 - round);
    if (std::find(seen.begin(), seen.end(), ahead) == seen.end()) {
      DeleteService(ahead);
      kept.erase(ahead);
    }
    const std::string behind = absl::StrCat("svc-", 1000 + round - 1);
    DeleteService(behind);
    kept.erase(behind);
    ApplyNamed(absl::StrCat("aaa-", round));  // before the walk's position
    ApplyNamed(absl::StrCat("zzz-", round));  // after it
  } while (!token.empty());
  // The walk never goes back.
  for (const std::string& name : seen) EXPECT_FALSE(absl::StartsWith(name, "aaa-")) << name;
  // Each service that existed for the whole walk came exactly once, in
  // order; nothing came twice.
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
  for (const std::string& name : kept) {
    if (name >= "svc-1000" && name < "svc-1040") {
      EXPECT_EQ(std::count(seen.begin(), seen.end(), name), 1) << name;
    }
  }
}

TEST_F(PaginationTest, EveryListPages) {
  onvm::v1::ApplyRequest set;
  *set.add_resources()->mutable_service() = MakeService("fw");
  for (const char* name : {"c1", "c2", "c3"}) {
    *set.add_resources()->mutable_chain() = MakeChain(name, {"fw"});
    *set.add_resources()->mutable_rule() = MakeRule(absl::StrCat("r-", name), name);
  }
  ASSERT_TRUE(Apply(set).ok());
  engine_->AddInstance("fw", 1);
  engine_->AddInstance("fw", 2);
  engine_->AddInstance("fw", 10);

  auto names = [](const auto& items, std::vector<std::string>* out) {
    for (const auto& i : items) out->push_back(i.metadata().name());
  };
  std::vector<std::string> chains, rules, ports, instances;
  std::string token;
  do {
    onvm::v1::ListChainsRequest req;
    req.set_page_size(2);
    req.set_page_token(token);
    onvm::v1::ListChainsResponse resp;
    ASSERT_TRUE(
        Call([&](grpc::ClientContext* c) { return chains_->ListChains(c, req, &resp); }).ok());
    ASSERT_LE(resp.items_size(), 2);
    names(resp.items(), &chains);
    token = resp.next_page_token();
  } while (!token.empty());
  do {
    onvm::v1::ListRulesRequest req;
    req.set_page_size(1);
    req.set_page_token(token);
    onvm::v1::ListRulesResponse resp;
    ASSERT_TRUE(
        Call([&](grpc::ClientContext* c) { return rules_->ListRules(c, req, &resp); }).ok());
    ASSERT_LE(resp.items_size(), 1);
    names(resp.items(), &rules);
    token = resp.next_page_token();
  } while (!token.empty());
  do {
    onvm::v1::ListPortsRequest req;
    req.set_page_size(1);
    req.set_page_token(token);
    onvm::v1::ListPortsResponse resp;
    ASSERT_TRUE(
        Call([&](grpc::ClientContext* c) { return ports_->ListPorts(c, req, &resp); }).ok());
    ASSERT_LE(resp.items_size(), 1);
    names(resp.items(), &ports);
    token = resp.next_page_token();
  } while (!token.empty());
  // The agent learns of instances when it next polls the engine.
  ASSERT_TRUE(Eventually([&] {
    onvm::v1::ListInstancesResponse resp;
    return Call([&](grpc::ClientContext* c) {
             return instances_->ListInstances(c, {}, &resp);
           }).ok() &&
           resp.items_size() == 3;
  }));
  do {
    onvm::v1::ListInstancesRequest req;
    req.set_page_size(2);
    req.set_page_token(token);
    onvm::v1::ListInstancesResponse resp;
    ASSERT_TRUE(Call([&](grpc::ClientContext* c) {
                  return instances_->ListInstances(c, req, &resp);
                }).ok());
    ASSERT_LE(resp.items_size(), 2);
    names(resp.items(), &instances);
    token = resp.next_page_token();
  } while (!token.empty());
  EXPECT_THAT(chains, ElementsAre("c1", "c2", "c3"));
  EXPECT_THAT(rules, ElementsAre("r-c1", "r-c2", "r-c3"));
  EXPECT_THAT(ports, ElementsAre("lan", "wan"));
  EXPECT_THAT(instances, ElementsAre("fw-1", "fw-10", "fw-2"));
}

TEST_F(PaginationTest, BadPageSizeOrTokenIsRefusedOnEveryList) {
  const std::string garbage = "%%%";
  const std::string foreign = NextPageToken("ListServices", "fw");
  struct Bad {
    int32_t size;
    std::string token;
    std::string field;
  };
  for (const Bad& bad : {Bad{-1, "", "page_size"}, Bad{-2147483647 - 1, "", "page_size"},
                         Bad{0, garbage, "page_token"}, Bad{5, foreign, "page_token"}}) {
    SCOPED_TRACE(absl::StrCat(bad.size, " ", bad.token));
    std::vector<grpc::Status> got;
    {
      onvm::v1::ListChainsRequest req;
      req.set_page_size(bad.size);
      req.set_page_token(bad.token);
      onvm::v1::ListChainsResponse resp;
      got.push_back(
          Call([&](grpc::ClientContext* c) { return chains_->ListChains(c, req, &resp); }));
    }
    {
      onvm::v1::ListRulesRequest req;
      req.set_page_size(bad.size);
      req.set_page_token(bad.token);
      onvm::v1::ListRulesResponse resp;
      got.push_back(Call([&](grpc::ClientContext* c) { return rules_->ListRules(c, req, &resp); }));
    }
    {
      onvm::v1::ListPortsRequest req;
      req.set_page_size(bad.size);
      req.set_page_token(bad.token);
      onvm::v1::ListPortsResponse resp;
      got.push_back(Call([&](grpc::ClientContext* c) { return ports_->ListPorts(c, req, &resp); }));
    }
    {
      onvm::v1::ListInstancesRequest req;
      req.set_page_size(bad.size);
      req.set_page_token(bad.token);
      onvm::v1::ListInstancesResponse resp;
      got.push_back(
          Call([&](grpc::ClientContext* c) { return instances_->ListInstances(c, req, &resp); }));
    }
    if (bad.token != foreign) {  // a ListServices token is good for ListServices
      grpc::Status st;
      ServicesPage(bad.size, bad.token, &st);
      got.push_back(st);
    }
    for (const grpc::Status& st : got) {
      EXPECT_EQ(st.error_code(), Code::INVALID_ARGUMENT) << st.error_message();
      EXPECT_THAT(st.error_message(), HasSubstr(bad.field));
    }
  }
}

}  // namespace
}  // namespace onvm::agent
