// RequestCache on its own: what it remembers, for how long, and a retry
// that arrives while the first call still runs.
#include "agent/request_cache.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onvm/v1/service.pb.h"

namespace onvm::agent {
namespace {

using ::testing::HasSubstr;

// A call that counts its runs and answers `status` with a service named
// after the run number.
struct Counted {
  grpc::Status Run(onvm::v1::Service* out) {
    ++runs;
    out->mutable_metadata()->set_name("run-" + std::to_string(runs.load()));
    return status;
  }
  std::atomic<int> runs{0};
  grpc::Status status = grpc::Status::OK;
};

TEST(RequestIdTest, Format) {
  EXPECT_TRUE(ValidateRequestId("").ok());
  EXPECT_TRUE(ValidateRequestId("6f1c2a9e-4b7d-4e43-9a51-0c2d8e7f1a3b").ok());
  EXPECT_TRUE(ValidateRequestId(std::string(64, 'Z')).ok());
  for (const std::string& bad : {std::string(65, 'a'), std::string("a b"), std::string("a.b"),
                                 std::string("a/b"), std::string("\xc3\xa9")}) {
    absl::Status s = ValidateRequestId(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("request_id")) << bad;
  }
}

TEST(RequestIdTest, FingerprintIgnoresNothingButIsStable) {
  onvm::v1::CreateServiceRequest a;
  a.mutable_service()->mutable_metadata()->set_name("fw");
  (*a.mutable_service()->mutable_spec()->mutable_launch()->mutable_env())["A"] = "1";
  (*a.mutable_service()->mutable_spec()->mutable_launch()->mutable_env())["B"] = "2";
  onvm::v1::CreateServiceRequest b = a;
  EXPECT_EQ(RequestFingerprint(a), RequestFingerprint(b));
  b.set_validate_only(true);
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(b));
  // The same bytes under another method are another request.
  onvm::v1::DeleteServiceRequest d;
  onvm::v1::GetServiceRequest g;
  EXPECT_NE(RequestFingerprint(d), RequestFingerprint(g));
}

TEST(RequestCacheTest, ReplaysSuccessAndFinalErrorsButRerunsTransientOnes) {
  RequestCache cache;
  Counted ok;
  onvm::v1::Service out;
  ASSERT_TRUE(cache.Run("a", 1, &out, [&] { return ok.Run(&out); }).ok());
  onvm::v1::Service again;
  ASSERT_TRUE(cache.Run("a", 1, &again, [&] { return ok.Run(&again); }).ok());
  EXPECT_EQ(ok.runs, 1);
  EXPECT_EQ(again.metadata().name(), "run-1");

  Counted final_error;
  final_error.status = grpc::Status(grpc::StatusCode::NOT_FOUND, "gone");
  EXPECT_EQ(cache.Run("b", 1, &out, [&] { return final_error.Run(&out); }).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::Status st = cache.Run("b", 1, &out, [&] { return final_error.Run(&out); });
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "gone");
  EXPECT_EQ(final_error.runs, 1);

  Counted transient;
  transient.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "later");
  cache.Run("c", 1, &out, [&] { return transient.Run(&out); });
  transient.status = grpc::Status::OK;
  EXPECT_TRUE(cache.Run("c", 1, &out, [&] { return transient.Run(&out); }).ok());
  EXPECT_EQ(transient.runs, 2);

  st = cache.Run("a", 2, &out, [&] { return ok.Run(&out); });
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("request_id \"a\""));
  EXPECT_EQ(ok.runs, 1);
}

TEST(RequestCacheTest, ForgetsTheOldestAndTheExpired) {
  absl::Time now = absl::UnixEpoch();
  RequestCache cache({.max_entries = 2, .ttl = absl::Minutes(10)}, [&] { return now; });
  Counted c;
  onvm::v1::Service out;
  for (const char* id : {"a", "b", "c"}) cache.Run(id, 1, &out, [&] { return c.Run(&out); });
  EXPECT_EQ(c.runs, 3);
  EXPECT_EQ(cache.size(), 2u);
  cache.Run("c", 1, &out, [&] { return c.Run(&out); });
  EXPECT_EQ(c.runs, 3);  // still known
  cache.Run("a", 1, &out, [&] { return c.Run(&out); });
  EXPECT_EQ(c.runs, 4);  // forgotten: ran again

  now += absl::Minutes(11);
  cache.Run("c", 1, &out, [&] { return c.Run(&out); });
  EXPECT_EQ(c.runs, 5);  // expired: ran again
}

TEST(RequestCacheTest, BoundsStoredBytes) {
  RequestCache cache({.max_entries = 100, .ttl = absl::Minutes(10), .max_bytes = 1000});
  onvm::v1::Service out;
  int runs = 0;
  auto big = [&] {
    ++runs;
    out.mutable_metadata()->set_name(std::string(600, 'x'));
    return grpc::Status::OK;
  };
  cache.Run("a", 1, &out, big);
  cache.Run("b", 1, &out, big);  // over 1000 bytes: "a" goes
  EXPECT_EQ(cache.size(), 1u);
  cache.Run("b", 1, &out, big);
  EXPECT_EQ(runs, 2);
}

TEST(RequestCacheTest, RetryDuringTheFirstCallGetsItsResult) {
  RequestCache cache;
  absl::Notification started, release;
  std::atomic<int> runs{0};
  onvm::v1::Service first_out, retry_out;
  grpc::Status first_status, retry_status;
  std::thread first([&] {
    first_status = cache.Run("x", 7, &first_out, [&] {
      ++runs;
      started.Notify();
      release.WaitForNotification();
      first_out.mutable_metadata()->set_name("first");
      return grpc::Status::OK;
    });
  });
  started.WaitForNotification();
  std::thread retry([&] {
    retry_status = cache.Run("x", 7, &retry_out, [&] {
      ++runs;
      return grpc::Status(grpc::StatusCode::INTERNAL, "the retry must not run");
    });
  });
  release.Notify();
  first.join();
  retry.join();
  EXPECT_TRUE(first_status.ok());
  EXPECT_TRUE(retry_status.ok()) << retry_status.error_message();
  EXPECT_EQ(retry_out.metadata().name(), "first");
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace onvm::agent
