#include "harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/util.h"

extern char** environ;

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

bool IsExecutable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Argument vectors prepared before fork(): the child may only make
// async-signal-safe calls, so no allocation happens after the fork.
class CStrings {
 public:
  explicit CStrings(const std::vector<std::string>& strings) : strings_(strings) {
    for (const std::string& s : strings_) ptrs_.push_back(const_cast<char*>(s.c_str()));
    ptrs_.push_back(nullptr);
  }
  char** data() { return ptrs_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> ptrs_;
};

std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra) {
  std::map<std::string, std::string> env;
  auto add = [&env](const std::string& kv) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return;
    env[kv.substr(0, eq)] = kv;
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) add(*e);
  for (const std::string& kv : extra) add(kv);
  std::vector<std::string> out;
  out.reserve(env.size());
  for (auto& [key, kv] : env) out.push_back(kv);
  return out;
}

struct ChildSetup {
  int stdin_fd = -1;
  int output_fd = -1;
  const char* cwd = nullptr;
  bool kill_with_parent = false;
};

// Forks and execs. Returns the pid, or -1 with errno set.
pid_t ForkExec(const std::string& path, CStrings& argv, CStrings& envp, const ChildSetup& setup) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;

  // Child: async-signal-safe calls only.
  if (setup.kill_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
  }
  sigset_t all;
  ::sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  ::dup2(setup.stdin_fd, STDIN_FILENO);
  ::dup2(setup.output_fd, STDOUT_FILENO);
  ::dup2(setup.output_fd, STDERR_FILENO);
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
  {
    for (int fd = 3; fd < 4096; ++fd) ::close(fd);
  }
  if (setup.cwd != nullptr && ::chdir(setup.cwd) != 0) {
    static const char kMsg[] = "harness: chdir failed\n";
    (void)!::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    ::_exit(127);
  }
  ::execve(path.c_str(), argv.data(), envp.data());
  // strerror() may allocate: print the number.
  char msg[] = "harness: execve failed, errno 000\n";
  const int err = errno;
  msg[sizeof(msg) - 5] = static_cast<char>('0' + (err / 100) % 10);
  msg[sizeof(msg) - 4] = static_cast<char>('0' + (err / 10) % 10);
  msg[sizeof(msg) - 3] = static_cast<char>('0' + err % 10);
  (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
  ::_exit(127);
}

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (exited) return absl::StrCat("exit code ", code);
  return absl::StrCat("killed by signal ", signal, " (", ::strsignal(signal), ")");
}

ExitStatus ExitStatus::FromWaitStatus(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.exited = true;
    s.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  return s;
}

std::string FindExecutable(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return IsExecutable(name) ? name : std::string();
  std::string dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) dirs = path;
  dirs += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (IsExecutable(candidate)) return candidate;
    }
    start = end + 1;
  }
  return {};
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(const std::string& binary,
                                                        const std::vector<std::string>& args,
                                                        const std::string& log_path,
                                                        const ProcessOptions& options) {
  if (log_path.empty()) return absl::InvalidArgumentError("Process::Start: empty log_path");
  const std::string resolved = FindExecutable(binary);
  if (resolved.empty()) {
    return absl::NotFoundError(absl::StrCat("no executable '", binary, "' (is it built?)"));
  }
  std::vector<std::string> argv;
  std::string exec_path = resolved;
  if (!options.netns.empty()) {
    exec_path = FindExecutable("ip");
    if (exec_path.empty()) return absl::NotFoundError("no 'ip' executable (install iproute2)");
    argv = {"ip", "netns", "exec", options.netns};
  }
  argv.push_back(resolved);
  argv.insert(argv.end(), args.begin(), args.end());
  CStrings c_argv(argv);
  CStrings c_envp(MergedEnvironment(options.env));

  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open log ", log_path, ": ", std::strerror(errno)));
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    ::close(log_fd);
    return absl::InternalError(absl::StrCat("cannot open /dev/null: ", std::strerror(errno)));
  }
  ChildSetup setup;
  setup.stdin_fd = null_fd;
  setup.output_fd = log_fd;
  setup.cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  setup.kill_with_parent = options.kill_with_parent;
  const pid_t pid = ForkExec(exec_path, c_argv, c_envp, setup);
  const int fork_errno = errno;
  ::close(null_fd);
  ::close(log_fd);
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_errno)));
  const int pidfd = PidfdOpen(pid);
  return std::unique_ptr<Process>(new Process(Basename(resolved), pid, pidfd, log_path));
}

Process::Process(std::string name, pid_t pid, int pidfd, std::string log_path)
    : name_(std::move(name)), pid_(pid), pidfd_(pidfd), log_path_(std::move(log_path)) {}

Process::~Process() {
  if (!status_) Stop();
  if (pidfd_ >= 0) ::close(pidfd_);
}

bool Process::Reap(bool block) {
  if (status_) return true;
  int wstatus = 0;
  while (true) {
    const pid_t r = ::waitpid(pid_, &wstatus, block ? 0 : WNOHANG);
    if (r == pid_) {
      status_ = ExitStatus::FromWaitStatus(wstatus);
      return true;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == ECHILD) {
      // Someone else reaped it (SIGCHLD ignored?): report an unknown end.
      status_ = ExitStatus{.exited = false, .code = 0, .signal = 0};
      return true;
    }
    return false;
  }
}

bool Process::Signal(int sig) {
  if (status_) return false;
  return ::kill(pid_, sig) == 0;
}

std::optional<ExitStatus> Process::WaitExit(milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (!Reap(false)) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (pidfd_ >= 0) {
      pollfd pfd{pidfd_, POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(left.count()));
    } else {
      std::this_thread::sleep_for(std::min(left, milliseconds(5)));
    }
  }
  return status_;
}

bool Process::Running() { return !Reap(false); }

ExitStatus Process::Stop(milliseconds grace) {
  if (!status_) {
    Signal(SIGTERM);
    if (!WaitExit(grace)) {
      Signal(SIGKILL);
      Reap(true);
    }
  }
  return *status_;
}

std::string Process::Log() const { return ReadFileOrEmpty(log_path_); }

std::string Process::Tail(size_t lines) const {
  const std::string log = Log();
  if (lines == 0) return {};
  size_t pos = log.size();
  if (pos > 0 && log[pos - 1] == '\n') --pos;  // the final newline ends the last line
  size_t seen = 0;
  while (pos > 0) {
    const size_t nl = log.rfind('\n', pos - 1);
    if (nl == std::string::npos) return log;
    if (++seen == lines) return log.substr(nl + 1);
    pos = nl;
  }
  return log;
}

bool Process::WaitForLog(std::string_view text, milliseconds timeout) const {
  return WaitFor([&] { return Log().find(text) != std::string::npos; }, timeout);
}

std::string Process::Describe(size_t lines) {
  const bool running = Running();
  return absl::StrCat(name_, " (pid ", pid_, ", ", running ? "running" : status_->ToString(),
                      "), last ", lines, " lines of ", log_path_, ":\n", Tail(lines));
}

CommandResult RunCommand(const std::vector<std::string>& argv, milliseconds timeout) {
  CommandResult result;
  result.status.exited = true;
  result.status.code = 127;
  if (argv.empty()) {
    result.output = "RunCommand: empty argv";
    return result;
  }
  const std::string path = FindExecutable(argv[0]);
  if (path.empty()) {
    result.output = absl::StrCat("RunCommand: no executable '", argv[0], "'");
    return result;
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.output = absl::StrCat("pipe2: ", std::strerror(errno));
    return result;
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  CStrings c_argv(argv);
  CStrings c_envp(MergedEnvironment({}));
  ChildSetup setup;
  setup.stdin_fd = null_fd;
  setup.output_fd = pipe_fds[1];
  setup.kill_with_parent = true;
  const pid_t pid = ForkExec(path, c_argv, c_envp, setup);
  const int fork_errno = errno;
  ::close(pipe_fds[1]);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    result.output = absl::StrCat("fork: ", std::strerror(fork_errno));
    return result;
  }
  const auto deadline = steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    const int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    const ssize_t n = ::read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the command (and whatever it forked) closed the pipe
    result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  result.status = ExitStatus::FromWaitStatus(wstatus);
  return result;
}

}  // namespace onvm::testing
