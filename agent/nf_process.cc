#include "agent/nf_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace onvm::agent {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

bool Executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Looked up before fork(): the child may only make async-signal-safe calls.
absl::StatusOr<std::string> Resolve(const std::string& command) {
  if (command.find('/') != std::string::npos) {
    if (Executable(command)) return command;
    return absl::NotFoundError(
        absl::StrCat("spec.launch.command: \"", command, "\" is not an executable file"));
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", command);
    if (Executable(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("spec.launch.command: \"", command,
                                          "\" is not in the agent's PATH (",
                                          path != nullptr ? path : "", ")"));
}

std::string DescribeStatus(int code, int status) {
  if (code == CLD_EXITED) return absl::StrCat("exit code ", status);
  const char* name = ::strsignal(status);
  return absl::StrCat("killed by signal ", status, " (", name != nullptr ? name : "?", ")");
}

}  // namespace

absl::StatusOr<NfProcess> NfProcess::Launch(const LaunchRequest& request) {
  absl::StatusOr<std::string> path = Resolve(request.command);
  if (!path.ok()) return path.status();

  // Everything the child needs, built before fork().
  std::vector<std::string> argv_storage = {request.command};
  argv_storage.insert(argv_storage.end(), request.args.begin(), request.args.end());
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    const absl::string_view entry = *e;
    const absl::string_view key = entry.substr(0, entry.find('='));
    if (request.env.count(std::string(key)) == 0) env_storage.emplace_back(entry);
  }
  for (const auto& [key, value] : request.env) env_storage.push_back(absl::StrCat(key, "=", value));
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (request.core >= 0) CPU_SET(request.core, &cpus);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigset_t no_signals;
  sigemptyset(&no_signals);

  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", ::strerror(errno)));
  if (pid == 0) {
    // The agent blocks SIGINT/SIGTERM (it waits for them) and ignores
    // SIGPIPE; both would survive exec.
    ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
    ::sigaction(SIGPIPE, &default_action, nullptr);
    // Its own group: a Ctrl-C meant for the agent's terminal is not for it.
    ::setpgid(0, 0);
    if (request.core >= 0) ::sched_setaffinity(0, sizeof(cpus), &cpus);
    ::execve(path->c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  const int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return absl::InternalError(absl::StrCat("pidfd_open: ", ::strerror(err)));
  }
  return NfProcess(pid, pidfd, /*child=*/true);
}

absl::StatusOr<NfProcess> NfProcess::Adopt(pid_t pid) {
  const int pidfd = PidfdOpen(pid);
  if (pidfd < 0) return absl::NotFoundError(absl::StrCat("process ", pid, " is gone"));
  return NfProcess(pid, pidfd, /*child=*/false);
}

NfProcess::NfProcess(NfProcess&& other) noexcept
    : pid_(other.pid_), pidfd_(other.pidfd_), child_(other.child_) {
  other.pidfd_ = -1;
  other.pid_ = 0;
}

NfProcess& NfProcess::operator=(NfProcess&& other) noexcept {
  if (this != &other) {
    if (pidfd_ >= 0) ::close(pidfd_);
    pid_ = other.pid_;
    pidfd_ = other.pidfd_;
    child_ = other.child_;
    other.pidfd_ = -1;
    other.pid_ = 0;
  }
  return *this;
}

NfProcess::~NfProcess() {
  if (pidfd_ >= 0) ::close(pidfd_);
}

void NfProcess::Signal(int signo) const {
  // Through the pidfd: never a recycled pid.
  if (pidfd_ >= 0) ::syscall(SYS_pidfd_send_signal, pidfd_, signo, nullptr, 0);
}

bool NfProcess::Ended(std::string* how) {
  if (pidfd_ < 0) return true;
  if (child_) {
    siginfo_t info{};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &info,
                 WEXITED | WNOHANG) != 0) {
      *how = absl::StrCat("ended (", ::strerror(errno), ")");
      return true;
    }
    if (info.si_pid == 0) return false;
    *how = DescribeStatus(info.si_code, info.si_status);
    return true;
  }
  // Not our child: the pidfd turns readable when it exits, and nobody tells
  // us how.
  if (::kill(pid_, 0) == 0) {
    // Still there, unless it is a zombie waiting for its parent to reap it.
    std::ifstream stat(absl::StrCat("/proc/", pid_, "/stat"));
    std::string line((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z') {
      return false;
    }
  }
  *how = "exited (status unknown: started by an earlier agent process)";
  return true;
}

std::string SupervisedMarker(const std::string& engine, const std::string& service, uint32_t index,
                             const std::string& fingerprint) {
  return absl::StrCat(engine, "/", service, "/", index, "/", fingerprint);
}

std::vector<SupervisedProcess> FindSupervised(const std::string& engine) {
  std::vector<SupervisedProcess> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  const std::string prefix = absl::StrCat(kSupervisedEnv, "=", engine, "/");
  while (dirent* entry = ::readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid) || pid <= 0 || pid == ::getpid()) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/environ"), std::ios::binary);
    if (!in) continue;
    const std::string environ_text((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
    for (absl::string_view var : absl::StrSplit(environ_text, '\0')) {
      if (!absl::StartsWith(var, prefix)) continue;
      // <service>/<index>/<fingerprint>
      std::vector<std::string> parts = absl::StrSplit(var.substr(prefix.size()), '/');
      uint32_t index = 0;
      if (parts.size() == 3 && absl::SimpleAtoi(parts[1], &index)) {
        found.push_back({pid, parts[0], index, parts[2]});
      }
      break;
    }
  }
  ::closedir(proc);
  return found;
}

}  // namespace onvm::agent
