#include "agent/request_errors.h"

#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"

namespace onvm::agent {
namespace {

using grpc::experimental::InterceptionHookPoints;

// What protobuf last logged about a failed parse on this thread. gRPC's
// synchronous server parses a request and runs the POST_RECV_MESSAGE
// interceptors on the same thread, one right after the other.
thread_local std::string t_parse_log;

google::protobuf::LogHandler* g_previous_handler = nullptr;

void LogHandler(google::protobuf::LogLevel level, const char* filename, int line,
                const std::string& message) {
  // "String field 'onvm.v1.ObjectMeta.name' contains invalid UTF-8 data
  // when parsing a protocol buffer. ..." (protobuf 3.21)
  if (absl::StrContains(message, "when parsing a protocol buffer")) {
    t_parse_log = message;
    return;  // the client gets it; the log would only repeat it
  }
  if (g_previous_handler != nullptr) g_previous_handler(level, filename, line, message);
}

class ParseErrorInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit ParseErrorInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method() != nullptr ? info->method() : "") {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // nullptr: the request did not parse (or a stream ended).
      if (methods->GetRecvMessage() == nullptr) {
        parse_failed_ = true;
        parse_log_ = std::move(t_parse_log);
      }
      t_parse_log.clear();
    }
    if (parse_failed_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      // Only gRPC's own parse failure: INTERNAL with no message.
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty()) {
        methods->ModifySendStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                               ParseErrorMessage(method_, parse_log_)));
      }
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  bool parse_failed_ = false;
  std::string parse_log_;
};

}  // namespace

std::string ParseErrorMessage(const std::string& method, const std::string& protobuf_log) {
  const std::string what = absl::StrCat("the request to ", method.empty() ? "this method" : method,
                                        " could not be parsed: ");
  const size_t open = protobuf_log.find('\'');
  const size_t close = open == std::string::npos ? open : protobuf_log.find('\'', open + 1);
  if (absl::StrContains(protobuf_log, "UTF-8") && close != std::string::npos) {
    return absl::StrCat(what, "field ", protobuf_log.substr(open + 1, close - open - 1),
                        " is not valid UTF-8 (string fields must be UTF-8)");
  }
  return absl::StrCat(what,
                      "it is not a well-formed protobuf message of the method's request type");
}

ParseErrorInterceptorFactory::ParseErrorInterceptorFactory() {
  static std::once_flag once;
  std::call_once(once, [] { g_previous_handler = google::protobuf::SetLogHandler(&LogHandler); });
}

grpc::experimental::Interceptor* ParseErrorInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new ParseErrorInterceptor(info);
}

}  // namespace onvm::agent
