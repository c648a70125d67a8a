#include "harness/metrics.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

int RemainingMs(steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// Decodes a chunked transfer-encoded body.
absl::StatusOr<std::string> Dechunk(absl::string_view in) {
  std::string out;
  while (true) {
    const size_t eol = in.find("\r\n");
    if (eol == absl::string_view::npos) return absl::DataLossError("truncated chunk header");
    absl::string_view size_text = in.substr(0, eol);
    if (size_t semi = size_text.find(';'); semi != absl::string_view::npos) {
      size_text = size_text.substr(0, semi);
    }
    uint64_t size = 0;
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(size_text), &size)) {
      return absl::DataLossError("bad chunk size");
    }
    in.remove_prefix(eol + 2);
    if (size == 0) return out;
    if (in.size() < size + 2) return absl::DataLossError("truncated chunk");
    out.append(in.data(), size);
    in.remove_prefix(size + 2);
  }
}

// Parses `{a="x",b="y"}` starting at line[*pos] == '{'; advances *pos past '}'.
bool ParseLabels(absl::string_view line, size_t* pos, Labels* labels) {
  size_t i = *pos + 1;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
    if (i >= line.size()) return false;
    if (line[i] == '}') {
      *pos = i + 1;
      return true;
    }
    const size_t eq = line.find('=', i);
    if (eq == absl::string_view::npos) return false;
    std::string key(absl::StripAsciiWhitespace(line.substr(i, eq - i)));
    i = eq + 1;
    if (i >= line.size() || line[i] != '"') return false;
    ++i;
    std::string value;
    bool closed = false;
    while (i < line.size()) {
      const char c = line[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\' && i < line.size()) {
        const char e = line[i++];
        value.push_back(e == 'n' ? '\n' : e);
      } else {
        value.push_back(c);
      }
    }
    if (!closed || key.empty()) return false;
    (*labels)[key] = std::move(value);
  }
}

std::optional<MetricSample> ParseLine(absl::string_view line) {
  MetricSample s;
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
  if (i == 0) return std::nullopt;
  s.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{' && !ParseLabels(line, &i, &s.labels)) {
    return std::nullopt;
  }
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(line.substr(i));
  // The value, then an optional timestamp.
  const std::string value(rest.substr(0, rest.find_first_of(" \t")));
  if (value.empty()) return std::nullopt;
  char* end = nullptr;
  s.value = std::strtod(value.c_str(), &end);
  if (end != value.c_str() + value.size()) return std::nullopt;
  return s;
}

}  // namespace

absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path,
                                    milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", host_port, "' is not HOST:PORT"));
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = host_port.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* ai = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &ai); rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat(host_port, ": ", ::gai_strerror(rc)));
  }
  const int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    ::freeaddrinfo(ai);
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
  ::freeaddrinfo(ai);
  auto fail = [fd](absl::Status s) {
    ::close(fd);
    return s;
  };
  if (rc != 0 && errno != EINPROGRESS) {
    return fail(
        absl::UnavailableError(absl::StrCat("connect ", host_port, ": ", std::strerror(errno))));
  }
  pollfd pfd{fd, POLLOUT, 0};
  if (::poll(&pfd, 1, RemainingMs(deadline)) <= 0) {
    return fail(absl::DeadlineExceededError(absl::StrCat("connect ", host_port, ": timed out")));
  }
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    return fail(
        absl::UnavailableError(absl::StrCat("connect ", host_port, ": ", std::strerror(err))));
  }
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", host_port,
                                           "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return fail(absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno))));
    }
    pollfd wp{fd, POLLOUT, 0};
    if (::poll(&wp, 1, RemainingMs(deadline)) <= 0) {
      return fail(absl::DeadlineExceededError("send: timed out"));
    }
  }
  std::string response;
  char buf[16384];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      response.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      return fail(absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno))));
    }
    pollfd rp{fd, POLLIN, 0};
    if (::poll(&rp, 1, RemainingMs(deadline)) <= 0) {
      return fail(absl::DeadlineExceededError(
          absl::StrCat("GET ", path, " from ", host_port, ": no complete response in time")));
    }
  }
  ::close(fd);

  const size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    return absl::DataLossError(absl::StrCat("GET ", path, ": malformed HTTP response"));
  }
  const absl::string_view head(response.data(), header_end);
  std::vector<absl::string_view> header_lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> status_line = absl::StrSplit(header_lines[0], ' ');
  int status = 0;
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &status)) {
    return absl::DataLossError(
        absl::StrCat("GET ", path, ": bad status line '", header_lines[0], "'"));
  }
  bool chunked = false;
  for (size_t i = 1; i < header_lines.size(); ++i) {
    const std::string h = absl::AsciiStrToLower(header_lines[i]);
    if (absl::StartsWith(h, "transfer-encoding:") && absl::StrContains(h, "chunked")) {
      chunked = true;
    }
  }
  absl::string_view body(response);
  body.remove_prefix(header_end + 4);
  if (status != 200) {
    return absl::UnavailableError(
        absl::StrCat("GET ", path, " from ", host_port, ": HTTP ", status, ": ", body));
  }
  if (chunked) return Dechunk(body);
  return std::string(body);
}

absl::StatusOr<std::string> MetricsScrape(const std::string& host_port, milliseconds timeout) {
  return HttpGet(host_port, "/metrics", timeout);
}

std::vector<MetricSample> ParseMetrics(const std::string& body, std::vector<std::string>* errors) {
  std::vector<MetricSample> samples;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (std::optional<MetricSample> s = ParseLine(line)) {
      samples.push_back(std::move(*s));
    } else if (errors != nullptr) {
      errors->push_back(absl::StrCat("cannot parse: ", line));
    }
  }
  return samples;
}

std::optional<double> ParseMetric(const std::string& body, const std::string& name,
                                  const Labels& labels) {
  for (const MetricSample& s : ParseMetrics(body)) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

}  // namespace onvm::testing
