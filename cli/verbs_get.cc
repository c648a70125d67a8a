// `onvmctl get KIND [NAME...] [-o FORMAT]`.
#include <algorithm>

#include "cli/api.h"
#include "cli/output.h"
#include "cli/verbs.h"
#include "cli/watch.h"

namespace onvm::cli {
namespace {

template <typename T>
int GetKind(const std::vector<std::string>& names, OutputFormat format, Session& session) {
  constexpr Kind kind = Api<T>::kKind;
  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  std::unique_ptr<typename Api<T>::Stub> stub = Api<T>::NewStub(channel);

  std::vector<T> items;
  int code = kExitOk;
  if (names.empty()) {
    grpc::Status status = Api<T>::List(*stub, NewCallContext().get(), &items);
    if (!status.ok()) return session.ServerError(status);
    std::sort(items.begin(), items.end(),
              [](const T& a, const T& b) { return a.metadata().name() < b.metadata().name(); });
  } else {
    // Like kubectl: report each missing name, print the ones found.
    for (const std::string& name : names) {
      T item;
      grpc::Status status = Api<T>::Get(*stub, NewCallContext().get(), name, &item);
      if (!status.ok()) {
        code = session.ServerError(status);
        continue;
      }
      items.push_back(std::move(item));
    }
    if (items.empty()) return code;
  }
  for (T& item : items) FillTypeMeta(kind, item);

  const bool table = format == OutputFormat::kTable || format == OutputFormat::kWide;
  if (items.empty() && (table || format == OutputFormat::kName)) {
    session.err() << "No resources found.\n";
    return code;
  }
  absl::StatusOr<std::string> text = FormatResources(kind, items, names.size() != 1, format);
  if (!text.ok()) return session.Error(text.status().message());
  session.out() << *text;
  return code;
}

}  // namespace

int RunGet(const Invocation& invocation, Session& session) {
  if (absl::Status status = CheckFlags(invocation, {"output", "watch"}); !status.ok()) {
    return session.UsageError(status.message());
  }
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(invocation.output);
  if (!format.ok()) return session.UsageError(format.status().message());
  absl::StatusOr<Targets> targets = ParseTargets(invocation.args);
  if (!targets.ok()) return session.UsageError(targets.status().message());
  if (invocation.watch) return RunGetWatch(*targets, *format, session);
  switch (targets->kind) {
    case Kind::kService:
      return GetKind<v1::Service>(targets->names, *format, session);
    case Kind::kChain:
      return GetKind<v1::Chain>(targets->names, *format, session);
    case Kind::kRule:
      return GetKind<v1::Rule>(targets->names, *format, session);
    case Kind::kPort:
      return GetKind<v1::Port>(targets->names, *format, session);
    case Kind::kInstance:
      return GetKind<v1::Instance>(targets->names, *format, session);
  }
  return kExitUsage;
}

}  // namespace onvm::cli
