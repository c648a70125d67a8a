// `onvmctl apply -f FILE|DIR|- [--prune] [--dry-run=server|none]`.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/dry_run.h"
#include "cli/manifest.h"
#include "cli/request_ids.h"
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
    case v1::ApplyResult::PRUNED:
      return "pruned";
    default:
      return "applied";
  }
}

}  // namespace

int RunApply(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {"filename", "dry-run", "prune"});
      !status.ok()) {
    return session.UsageError(status.message());
  }
  if (invocation.files.empty()) {
    return session.UsageError("must specify -f FILE|DIR|- (manifests to apply)");
  }
  if (!invocation.args.empty()) {
    return session.UsageError("apply takes no arguments besides -f FILE|DIR|-");
  }
  absl::StatusOr<DryRun> dry_run = ParseDryRun(invocation.dry_run);
  if (!dry_run.ok()) return session.UsageError(dry_run.status().message());
  absl::StatusOr<std::vector<v1::Resource>> resources =
      LoadManifestArgs(invocation.files, session.in());
  if (!resources.ok()) return session.Error(resources.status().message());
  if (resources->empty()) return session.Error("no objects passed to apply");

  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  // One request, so the agent validates and commits the whole set at once,
  // prune included.
  v1::ApplyRequest request;
  for (v1::Resource& resource : *resources) *request.add_resources() = std::move(resource);
  request.set_validate_only(*dry_run == DryRun::kServer);
  request.set_prune(invocation.prune);
  RequestIds ids;
  request.set_request_id(ids.Next());
  auto stub = v1::Manifests::NewStub(channel);
  v1::ApplyResponse response;
  grpc::Status status = CallWithRetry(
      [&](grpc::ClientContext* context) { return stub->Apply(context, request, &response); });
  if (!status.ok()) return session.ServerError(status);
  for (const v1::ApplyResult& result : response.results()) {
    session.out() << absl::AsciiStrToLower(result.kind()) << "/" << result.name() << " "
                  << OutcomeWord(result.outcome()) << DryRunSuffix(*dry_run) << "\n";
  }
  return kExitOk;
}

}  // namespace onvm::cli
