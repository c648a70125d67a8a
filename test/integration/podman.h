// What the container tests share: the podman command line for a machine
// without systemd, the options of every `podman run` there, the NF mounts
// sdk/README.md documents, and building the images under test.
#ifndef ONVM_TEST_INTEGRATION_PODMAN_H_
#define ONVM_TEST_INTEGRATION_PODMAN_H_

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/harness.h"

namespace onvm::testing {

inline constexpr char kImageVersion[] = "0.1.0";

// podman's global flags without systemd (cgroups through the file system,
// events to a file), then `args`. argv[0] is "podman".
inline std::vector<std::string> Podman(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"podman", "--cgroup-manager=cgroupfs", "--events-backend=file"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// The arguments after "podman" of `podman run` for container `name`: runc,
// no capabilities unless `args` adds some, and only the resource limits the
// sandbox allows (podman raises them by default, which needs
// CAP_SYS_RESOURCE).
inline std::vector<std::string> PodmanRunArgs(const std::string& name,
                                              const std::vector<std::string>& args) {
  std::vector<std::string> argv =
      Podman({"run", "--rm", "--name", name, "--runtime", "runc", "--ulimit", "nofile=1024:1024",
              "--ulimit", "nproc=4096:4096", "--cap-drop", "all"});
  argv.erase(argv.begin());  // Process::Start takes the binary apart
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// An NF container's network and mounts, exactly as sdk/README.md lists
// them, then the image.
inline std::vector<std::string> NfContainerArgs() {
  return {"--network",
          "none",
          "-v",
          "/run/onvm:/run/onvm",
          "-v",
          "/var/run/dpdk:/var/run/dpdk",
          "-v",
          "/dev/hugepages:/dev/hugepages",
          absl::StrCat("onvm/nf:", kImageVersion)};
}

// Builds `images` (engine-agent, nf) from the binaries the tests run; fails
// the test if podman or runc is missing or the build fails.
inline void BuildImages(const std::vector<std::string>& images) {
  ASSERT_TRUE(RunCommand({"sh", "-c", "command -v podman && command -v runc"}).ok())
      << "podman and runc are not installed (bash scripts/setup.sh installs them)";
  std::vector<std::string> argv = {"bash", ONVM_SOURCE_DIR "/deploy/containers/build-images.sh",
                                   BinPath("")};
  argv.insert(argv.end(), images.begin(), images.end());
  CommandResult built = RunCommand(argv, std::chrono::seconds(400));
  ASSERT_TRUE(built.ok()) << built.output;
}

}  // namespace onvm::testing

#endif  // ONVM_TEST_INTEGRATION_PODMAN_H_
