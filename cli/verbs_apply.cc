// `onvmctl apply -f FILE|DIR|- ...`.
#include "absl/strings/ascii.h"
#include "cli/client.h"
#include "cli/manifest.h"
#include "cli/verbs.h"
#include "onvm/v1/apply.grpc.pb.h"

namespace onvm::cli {
namespace {

absl::string_view OutcomeWord(v1::ApplyResult::Outcome outcome) {
  switch (outcome) {
    case v1::ApplyResult::CREATED:
      return "created";
    case v1::ApplyResult::CONFIGURED:
      return "configured";
    case v1::ApplyResult::UNCHANGED:
      return "unchanged";
    default:
      return "applied";
  }
}

}  // namespace

int RunApply(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {"filename"}); !status.ok()) {
    return session.UsageError(status.message());
  }
  if (invocation.files.empty()) {
    return session.UsageError("must specify -f FILE|DIR|- (manifests to apply)");
  }
  if (!invocation.args.empty()) {
    return session.UsageError("apply takes no arguments besides -f FILE|DIR|-");
  }
  absl::StatusOr<std::vector<v1::Resource>> resources =
      LoadManifestArgs(invocation.files, session.in());
  if (!resources.ok()) return session.Error(resources.status().message());
  if (resources->empty()) return session.Error("no objects passed to apply");

  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  // One request, so the agent validates and commits the whole set at once.
  v1::ApplyRequest request;
  for (v1::Resource& resource : *resources) *request.add_resources() = std::move(resource);
  v1::ApplyResponse response;
  grpc::Status status =
      v1::Manifests::NewStub(channel)->Apply(NewCallContext().get(), request, &response);
  if (!status.ok()) return session.ServerError(status);
  for (const v1::ApplyResult& result : response.results()) {
    session.out() << absl::AsciiStrToLower(result.kind()) << "/" << result.name() << " "
                  << OutcomeWord(result.outcome()) << "\n";
  }
  return kExitOk;
}

}  // namespace onvm::cli
