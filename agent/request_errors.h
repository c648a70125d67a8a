// Requests that gRPC cannot even parse. gRPC answers them with INTERNAL and
// an empty message, which tells the client nothing; this interceptor turns
// that into INVALID_ARGUMENT naming the method and, where protobuf says
// which, the field (a string field holding bytes that are not UTF-8 is the
// usual case: C++ clients send such requests without complaint).
#ifndef ONVM_AGENT_REQUEST_ERRORS_H_
#define ONVM_AGENT_REQUEST_ERRORS_H_

#include <string>

#include "grpcpp/support/server_interceptor.h"

namespace onvm::agent {

class ParseErrorInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Installs (once per process) the protobuf log handler through which a
  // failed parse names its field.
  ParseErrorInterceptorFactory();
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

// The message a request to `method` that failed to parse gets; `protobuf_log`
// is what protobuf logged about it (may be empty). Exposed for tests.
std::string ParseErrorMessage(const std::string& method, const std::string& protobuf_log);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_REQUEST_ERRORS_H_
