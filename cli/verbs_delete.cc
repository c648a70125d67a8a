// `onvmctl delete KIND NAME...` and `onvmctl delete -f FILE|DIR|-`, each
// with `--dry-run=server`.
#include <map>

#include "cli/api.h"
#include "cli/dry_run.h"
#include "cli/manifest.h"
#include "cli/request_ids.h"
#include "cli/verbs.h"

namespace onvm::cli {
namespace {

// What every delete of one run shares.
struct DeleteRun {
  bool ignore_not_found = false;
  DryRun dry_run = DryRun::kNone;
  RequestIds ids;
};

// Deletes one resource and reports it. Failures are printed and do not
// stop the caller, as in kubectl; the worst exit code wins.
template <typename T>
int DeleteOne(typename Api<T>::Stub& stub, const std::string& name, DeleteRun& run,
              Session& session) {
  const WriteOptions options{.validate_only = run.dry_run == DryRun::kServer,
                             .request_id = run.ids.Next()};
  grpc::Status status = CallWithRetry(
      [&](grpc::ClientContext* context) { return Api<T>::Delete(stub, context, name, options); });
  if (status.ok()) {
    session.out() << KindSingular(Api<T>::kKind) << "/" << name << " deleted"
                  << DryRunSuffix(run.dry_run) << "\n";
    return kExitOk;
  }
  if (run.ignore_not_found && status.error_code() == grpc::StatusCode::NOT_FOUND) return kExitOk;
  return session.ServerError(status);
}

template <typename T>
int DeleteAll(const std::vector<std::string>& names, DeleteRun& run, Session& session) {
  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  std::unique_ptr<typename Api<T>::Stub> stub = Api<T>::NewStub(channel);
  int code = kExitOk;
  for (const std::string& name : names) {
    code = std::max(code, DeleteOne<T>(*stub, name, run, session));
  }
  return code;
}

int DeleteFromFiles(const Invocation& invocation, DeleteRun& run, Session& session) {
  absl::StatusOr<std::vector<v1::Resource>> resources =
      LoadManifestArgs(invocation.files, session.in());
  if (!resources.ok()) return session.Error(resources.status().message());
  if (resources->empty()) return session.Error("no objects passed to delete");
  // Dependents first (rules use chains, chains use services) so that the
  // agent never refuses a delete because something still refers to it.
  // Within a kind, the reverse of file order.
  std::vector<std::string> rules, chains, services;
  for (auto it = resources->rbegin(); it != resources->rend(); ++it) {
    switch (it->kind_case()) {
      case v1::Resource::kRule:
        rules.push_back(ResourceName(*it));
        break;
      case v1::Resource::kChain:
        chains.push_back(ResourceName(*it));
        break;
      case v1::Resource::kService:
        services.push_back(ResourceName(*it));
        break;
      case v1::Resource::KIND_NOT_SET:
        break;
    }
  }
  int code = DeleteAll<v1::Rule>(rules, run, session);
  if (code == kExitUnreachable) return code;
  code = std::max(code, DeleteAll<v1::Chain>(chains, run, session));
  return std::max(code, DeleteAll<v1::Service>(services, run, session));
}

}  // namespace

int RunDelete(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {"filename", "ignore-not-found", "dry-run"});
      !status.ok()) {
    return session.UsageError(status.message());
  }
  absl::StatusOr<DryRun> dry_run = ParseDryRun(invocation.dry_run);
  if (!dry_run.ok()) return session.UsageError(dry_run.status().message());
  DeleteRun run;
  run.ignore_not_found = invocation.ignore_not_found;
  run.dry_run = *dry_run;
  if (!invocation.files.empty()) {
    if (!invocation.args.empty()) {
      return session.UsageError("give either -f FILE or KIND NAME..., not both");
    }
    return DeleteFromFiles(invocation, run, session);
  }
  absl::StatusOr<Targets> targets = ParseTargets(invocation.args);
  if (!targets.ok()) return session.UsageError(targets.status().message());
  if (!KindIsMutable(targets->kind)) {
    return session.UsageError(absl::StrCat(KindPlural(targets->kind),
                                           " cannot be deleted: they are owned by the engine"));
  }
  if (targets->names.empty()) {
    return session.UsageError(
        absl::StrCat("must specify the name of the ", KindSingular(targets->kind), " to delete"));
  }
  switch (targets->kind) {
    case Kind::kService:
      return DeleteAll<v1::Service>(targets->names, run, session);
    case Kind::kChain:
      return DeleteAll<v1::Chain>(targets->names, run, session);
    case Kind::kRule:
      return DeleteAll<v1::Rule>(targets->names, run, session);
    case Kind::kPort:
    case Kind::kInstance:
      break;
  }
  return kExitUsage;
}

}  // namespace onvm::cli
