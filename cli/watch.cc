#include "cli/watch.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/api.h"
#include "cli/client.h"
#include "google/protobuf/util/json_util.h"
#include "onvm/v1/event.grpc.pb.h"

namespace onvm::cli {
namespace {

// Resumes in a row without receiving an event before the watch gives up.
constexpr int kMaxFruitlessResumes = 3;

// One line (table row, kind/name, or JSON watch event) for one object.
template <typename T>
absl::StatusOr<std::string> Line(Kind kind, T item, absl::string_view type, OutputFormat format) {
  FillTypeMeta(kind, item);
  switch (format) {
    case OutputFormat::kTable:
    case OutputFormat::kWide: {
      std::string text = MakeTable(std::vector<T>{item}, format == OutputFormat::kWide).Render();
      return text.substr(text.find('\n') + 1);  // no header after the first table
    }
    case OutputFormat::kName:
      return absl::StrCat(KindSingular(kind), "/", item.metadata().name(), "\n");
    case OutputFormat::kJson: {
      std::string object;
      if (!google::protobuf::util::MessageToJsonString(item, &object).ok()) {
        return absl::InternalError("cannot print as JSON");
      }
      return absl::StrCat(R"({"type":")", type, R"(","object":)", object, "}\n");
    }
    case OutputFormat::kYaml:
      break;
  }
  return absl::InvalidArgumentError("--watch cannot print yaml");
}

// The API kind whose events tell about changes of `kind`.
std::string EventKindFor(Kind kind) {
  return kind == Kind::kPort ? "Engine" : std::string(KindTitle(kind));
}

template <typename T>
class KindWatcher {
 public:
  KindWatcher(const Targets& targets, OutputFormat format, Session& session,
              std::shared_ptr<grpc::Channel> channel)
      : kind_(targets.kind),
        names_(targets.names),
        format_(format),
        session_(session),
        channel_(std::move(channel)),
        stub_(Api<T>::NewStub(channel_)) {}

  int Run() {
    uint64_t since = 0;
    if (grpc::Status s = LastEventSequence(channel_, &since); !s.ok()) {
      return session_.ServerError(s);
    }
    if (grpc::Status s = ListAndPrint(/*first=*/true); !s.ok()) return session_.ServerError(s);
    v1::EventFilter filter;
    filter.add_kinds(EventKindFor(kind_));
    if (kind_ != Kind::kPort) {
      for (const std::string& name : names_) filter.add_names(name);
    }
    return FollowEvents(
        session_, channel_, filter, since, [this](const v1::Event& e) { return OnEvent(e); },
        [this]() -> absl::StatusOr<uint64_t> {
          // Events were missed: start over from a fresh listing.
          uint64_t from = 0;
          if (grpc::Status s = LastEventSequence(channel_, &from); !s.ok()) {
            return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
          }
          if (grpc::Status s = ListAndPrint(/*first=*/false); !s.ok()) {
            return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
          }
          return from;
        });
  }

 private:
  // Prints every object (the whole table the first time, rows after).
  grpc::Status ListAndPrint(bool first) {
    std::vector<T> items;
    if (names_.empty() || kind_ == Kind::kPort) {
      if (grpc::Status s = Api<T>::List(*stub_, NewCallContext().get(), &items); !s.ok()) return s;
    } else {
      for (const std::string& name : names_) {
        T item;
        if (grpc::Status s = Api<T>::Get(*stub_, NewCallContext().get(), name, &item); !s.ok()) {
          if (!first && s.error_code() == grpc::StatusCode::NOT_FOUND) continue;
          return s;
        }
        items.push_back(std::move(item));
      }
    }
    if (kind_ == Kind::kPort && !names_.empty()) {
      std::erase_if(items, [this](const T& item) {
        return std::find(names_.begin(), names_.end(), item.metadata().name()) == names_.end();
      });
    }
    std::sort(items.begin(), items.end(),
              [](const T& a, const T& b) { return a.metadata().name() < b.metadata().name(); });
    cache_.clear();
    for (const T& item : items) cache_[item.metadata().name()] = item;
    const bool table = format_ == OutputFormat::kTable || format_ == OutputFormat::kWide;
    if (first && table) {
      if (items.empty()) {
        session_.err() << "No resources found.\n";
      } else {
        for (T& item : items) FillTypeMeta(kind_, item);
        absl::StatusOr<std::string> text = FormatResources(kind_, items, true, format_);
        if (!text.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "cannot print");
        session_.out() << *text << std::flush;
      }
      return grpc::Status::OK;
    }
    for (const T& item : items) {
      if (grpc::Status s = Print(item, first ? "ADDED" : "MODIFIED"); !s.ok()) return s;
    }
    return grpc::Status::OK;
  }

  grpc::Status Print(const T& item, absl::string_view type) {
    absl::StatusOr<std::string> line = Line(kind_, item, type, format_);
    if (!line.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(line.status().message()));
    }
    session_.out() << *line << std::flush;
    return grpc::Status::OK;
  }

  // Prints the object's current state, fetched now.
  grpc::Status Fetched(const std::string& name, absl::string_view type) {
    T item;
    grpc::Status s = Api<T>::Get(*stub_, NewCallContext().get(), name, &item);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) return grpc::Status::OK;  // gone since
    if (!s.ok()) return s;
    cache_[name] = item;
    return Print(item, type);
  }

  // Prints the object as last seen, and forgets it.
  grpc::Status Removed(const std::string& name) {
    auto it = cache_.find(name);
    if (it == cache_.end()) return grpc::Status::OK;
    T item = std::move(it->second);
    cache_.erase(it);
    return Print(item, "DELETED");
  }

  grpc::Status OnEvent(const v1::Event& e) {
    const std::string& name = e.object().name();
    switch (e.type()) {
      case v1::Event::RESOURCE_CREATED:
      case v1::Event::INSTANCE_STARTED:
        return Fetched(name, "ADDED");
      case v1::Event::RESOURCE_UPDATED:
        return Fetched(name, "MODIFIED");
      case v1::Event::REPLICA_STARTED:
      case v1::Event::REPLICA_CRASHED:
      case v1::Event::REPLICA_STOPPED:
        // About a Service: its status.replicas changed.
        if (kind_ == Kind::kService) return Fetched(name, "MODIFIED");
        return grpc::Status::OK;
      case v1::Event::RESOURCE_DELETED:
      case v1::Event::INSTANCE_STOPPED:
      case v1::Event::INSTANCE_GONE:
        return Removed(name);
      case v1::Event::ENGINE_UP:
        // Ports come from the engine, which may have restarted.
        if (kind_ == Kind::kPort) return ListAndPrint(/*first=*/false);
        return grpc::Status::OK;
      default:
        return grpc::Status::OK;
    }
  }

  const Kind kind_;
  const std::vector<std::string> names_;
  const OutputFormat format_;
  Session& session_;
  const std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<typename Api<T>::Stub> stub_;
  std::map<std::string, T> cache_;
};

template <typename T>
int Watch(const Targets& targets, OutputFormat format, Session& session) {
  std::shared_ptr<grpc::Channel> channel = session.Channel();
  if (channel == nullptr) return kExitUnreachable;
  return KindWatcher<T>(targets, format, session, channel).Run();
}

}  // namespace

grpc::Status LastEventSequence(const std::shared_ptr<grpc::Channel>& channel, uint64_t* sequence) {
  v1::ListEventsRequest request;
  request.set_limit(1);
  v1::ListEventsResponse response;
  grpc::Status status =
      v1::Events::NewStub(channel)->ListEvents(NewCallContext().get(), request, &response);
  *sequence = response.last_sequence();
  return status;
}

int FollowEvents(Session& session, const std::shared_ptr<grpc::Channel>& channel,
                 const v1::EventFilter& filter, uint64_t since,
                 const std::function<grpc::Status(const v1::Event&)>& on_event,
                 const std::function<absl::StatusOr<uint64_t>()>& on_gap) {
  auto stub = v1::Events::NewStub(channel);
  int fruitless = 0;
  for (;;) {
    v1::WatchEventsRequest request;
    *request.mutable_filter() = filter;
    request.set_since_sequence(since);
    grpc::ClientContext context;  // no deadline: a watch lasts until interrupted
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub->WatchEvents(&context, request);
    v1::Event event;
    grpc::Status handled;
    while (reader->Read(&event)) {
      fruitless = 0;
      since = event.sequence();
      handled = on_event(event);
      if (!handled.ok()) {
        context.TryCancel();
        break;
      }
    }
    grpc::Status status = reader->Finish();
    if (!handled.ok()) return session.ServerError(handled);
    if (status.ok()) return kExitOk;
    if (++fruitless > kMaxFruitlessResumes) return session.ServerError(status);
    switch (status.error_code()) {
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        continue;  // fell behind: resume from the last event received
      case grpc::StatusCode::OUT_OF_RANGE: {
        absl::StatusOr<uint64_t> from = on_gap();
        if (!from.ok()) return session.Error(from.status().message());
        since = *from;
        continue;
      }
      case grpc::StatusCode::UNAVAILABLE:
        session.ServerError(status);
        return kExitUnreachable;
      default:
        return session.ServerError(status);
    }
  }
}

int RunGetWatch(const Targets& targets, OutputFormat format, Session& session) {
  if (format == OutputFormat::kYaml) {
    return session.UsageError("--watch prints tables, -o wide, -o name or -o json, not yaml");
  }
  switch (targets.kind) {
    case Kind::kService:
      return Watch<v1::Service>(targets, format, session);
    case Kind::kChain:
      return Watch<v1::Chain>(targets, format, session);
    case Kind::kRule:
      return Watch<v1::Rule>(targets, format, session);
    case Kind::kPort:
      return Watch<v1::Port>(targets, format, session);
    case Kind::kInstance:
      return Watch<v1::Instance>(targets, format, session);
  }
  return kExitUsage;
}

}  // namespace onvm::cli
