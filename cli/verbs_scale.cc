// `onvmctl scale service NAME --replicas N [--wait] [--timeout 30s]`.
#include <algorithm>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/api.h"
#include "cli/verbs.h"

namespace onvm::cli {
namespace {

constexpr absl::Duration kDefaultWaitTimeout = absl::Seconds(30);
constexpr absl::Duration kPollInterval = absl::Milliseconds(200);

}  // namespace

absl::StatusOr<absl::Duration> DurationFlag(const char* name,
                                            const std::optional<std::string>& text,
                                            absl::Duration fallback) {
  if (!text.has_value()) return fallback;
  absl::Duration d;
  double seconds = 0;
  if (absl::SimpleAtod(*text, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(*text, &d)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", *text, "\" for --", name,
                                                   " (want a duration like 30s or 500ms)"));
  }
  if (d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " must be positive"));
  }
  return d;
}

int RunScale(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {"replicas", "wait", "timeout"}); !status.ok()) {
    return session.UsageError(status.message());
  }
  absl::StatusOr<Targets> targets = ParseTargets(invocation.args);
  if (!targets.ok()) return session.UsageError(targets.status().message());
  if (targets->kind != Kind::kService) {
    return session.UsageError(
        absl::StrCat("cannot scale ", KindPlural(targets->kind), "; only services scale"));
  }
  if (targets->names.size() != 1) {
    return session.UsageError("scale needs exactly one service: scale service NAME --replicas N");
  }
  if (!invocation.replicas.has_value()) return session.UsageError("--replicas is required");
  uint32_t replicas = 0;
  if (!absl::SimpleAtoi(*invocation.replicas, &replicas)) {
    return session.UsageError(absl::StrCat("invalid value \"", *invocation.replicas,
                                           "\" for --replicas (want a number 0 or more)"));
  }
  if (invocation.timeout.has_value() && !invocation.wait) {
    return session.UsageError("--timeout needs --wait");
  }
  absl::StatusOr<absl::Duration> timeout =
      DurationFlag("timeout", invocation.timeout, kDefaultWaitTimeout);
  if (!timeout.ok()) return session.UsageError(timeout.status().message());

  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  auto stub = Api<v1::Service>::NewStub(channel);
  const std::string& name = targets->names.front();
  v1::Service change;
  change.mutable_metadata()->set_name(name);
  change.mutable_spec()->set_replicas(replicas);
  v1::Service updated;
  grpc::Status status =
      Api<v1::Service>::Update(*stub, NewCallContext().get(), change, {"spec.replicas"}, &updated);
  if (!status.ok()) return session.ServerError(status);
  session.out() << "service/" << name << " scaled\n";
  if (!invocation.wait) return kExitOk;

  const absl::Time deadline = absl::Now() + *timeout;
  uint32_t ready = updated.status().ready_replicas();
  while (ready != replicas) {
    if (absl::Now() >= deadline) {
      return session.Error(absl::StrCat("timed out after ", absl::FormatDuration(*timeout),
                                        " waiting for service/", name, " to have ", replicas,
                                        " ready replicas (it has ", ready, ")"));
    }
    absl::SleepFor(std::min(kPollInterval, deadline - absl::Now()));
    v1::Service current;
    status = Api<v1::Service>::Get(*stub, NewCallContext().get(), name, &current);
    if (!status.ok()) return session.ServerError(status);
    ready = current.status().ready_replicas();
  }
  session.out() << "service/" << name << " has " << replicas << " ready replicas\n";
  return kExitOk;
}

}  // namespace onvm::cli
