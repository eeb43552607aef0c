#include "launch/lab_vm.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "export/trace.h"
#include "launch/runner.h"
#include "launch/workspace.h"
#include "methods.h"
#include "model/textbook.h"

namespace copyscope {

namespace fs = std::filesystem;

namespace {

// How long copyscope-vm has after SIGTERM (it powers the guest off and cleans up).
constexpr auto kStopGrace = std::chrono::seconds(10);

std::unique_ptr<Workspace> make_workspace() {
  try {
    return std::make_unique<Workspace>();
  } catch (const WorkspaceError& e) {
    throw RunError(2, e.what());
  }
}

// The directory copyscope-vm copies into the guest (copyscope, copyscope-scenario,
// java/, assets/): a build directory as it is; an installed copyscope is staged
// into the workspace from bin/, libexec/copyscope/ and share/copyscope/.
std::string guest_binaries(Workspace& ws) {
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  const fs::path here = exe.parent_path();
  if (fs::exists(here / "copyscope-scenario") && fs::is_directory(here / "assets" / "methods")) return here.string();
  const fs::path stage = ws.path("guest-binaries");
  const fs::path scenario = scenario_binary();
  try {
    fs::create_directory(stage);
    fs::copy_file(exe, stage / "copyscope");
    fs::copy_file(scenario, stage / "copyscope-scenario");
    if (fs::is_directory(scenario.parent_path() / "java"))
      fs::copy(scenario.parent_path() / "java", stage / "java", fs::copy_options::recursive);
    fs::copy(assets_dir(), stage / "assets", fs::copy_options::recursive);
  } catch (const fs::filesystem_error& e) {
    throw RunError(1, std::string("cannot stage the installed binaries for the lab VM: ") + e.what());
  }
  return stage.string();
}

struct Spawned {
  int exit_code = 1;  // 128+N for signal N
  bool cancelled = false;
};

// Runs argv in its own process group (qemu included), stdout into out_fd when
// >= 0, stderr line by line to on_line when set. A cancel or an interrupt
// sends the group SIGTERM, then SIGKILL after the grace time.
Spawned spawn_group(const std::vector<std::string>& args, int out_fd, const CancelToken* cancel,
                    const std::function<void(const std::string&)>& on_line) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int err[2] = {-1, -1};
  if (on_line && pipe2(err, O_CLOEXEC) != 0) throw RunError(1, "pipe failed");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw RunError(1, "fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    if (out_fd >= 0) dup2(out_fd, 1);
    if (err[1] >= 0) dup2(err[1], 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);  // either side may win the race; both ask for the same
  if (err[1] >= 0) close(err[1]);
  Spawned out;
  std::string partial;
  auto drain = [&](int timeout_ms) {
    if (err[0] < 0) {
      if (timeout_ms > 0) usleep(static_cast<useconds_t>(timeout_ms) * 1000);
      return;
    }
    pollfd pfd{err[0], POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return;
    char buf[4096];
    const ssize_t n = read(err[0], buf, sizeof buf);
    if (n <= 0) {
      close(err[0]);
      err[0] = -1;
      return;
    }
    partial.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = partial.find('\n')) != std::string::npos; partial.erase(0, nl + 1))
      on_line(partial.substr(0, nl));
    if (partial.size() > 65536) partial.clear();  // no line is that long
  };
  std::chrono::steady_clock::time_point termed{};
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      status = 1 << 8;
      break;
    }
    const bool stop = (cancel && cancel->cancelled()) || interrupt::requested();
    if (stop && !out.cancelled) {
      out.cancelled = true;
      termed = std::chrono::steady_clock::now();
      kill(-pid, SIGTERM);
    } else if (out.cancelled && std::chrono::steady_clock::now() - termed > kStopGrace) {
      kill(-pid, SIGKILL);
    }
    drain(100);
  }
  while (err[0] >= 0) drain(0);
  if (!partial.empty() && on_line) on_line(partial);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

}  // namespace

const std::vector<std::string>& lab_vm_names() {
  static const std::vector<std::string> names = {"debian-6.12", "debian-6.1"};
  return names;
}

bool is_lab_vm(const std::string& name) {
  const auto& n = lab_vm_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

std::string lab_vm_script() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (const fs::path& p :
       {exe.parent_path() / "copyscope-vm", exe.parent_path() / ".." / "libexec" / "copyscope" / "copyscope-vm"})
    if (fs::exists(p, ec)) return p.string();
  return {};
}

std::string lab_vm_problem() {
  if (lab_vm_script().empty()) return "the lab VM's script copyscope-vm is not installed beside copyscope";
  if (geteuid() != 0) return "the lab VM boots qemu with root's cache of guest images: run copyscope with sudo";
  return {};
}

std::string lab_vm_method_problem(const std::string& method) {
  const scenario::MethodInfo* m = scenario::method_info(method);
  if (!m) return "there is no scenario for " + method;
  if (m->requirement == "java") return "the lab VM's guest has no JVM";
  return {};
}

std::vector<Run> run_in_lab_vm(const LabVmRequest& req, std::vector<Run>* done) {
  if (req.plans.empty()) return {};
  if (!is_lab_vm(req.vm.name)) throw RunError(2, "unknown lab VM '" + req.vm.name + "'");
  if (const std::string why = lab_vm_problem(); !why.empty()) throw RunError(2, why);
  uint64_t largest = 0;
  for (const RunParams& p : req.plans) {
    if (const std::string why = lab_vm_method_problem(p.method); !why.empty())
      throw RunError(2, p.method + " cannot run in the lab VM: " + why);
    largest = std::max(largest, p.size);
  }
  std::unique_ptr<Workspace> ws = make_workspace();
  const std::string build = guest_binaries(*ws);
  // One boot runs every plan, each leaving its trace as /scratch/out/N.json;
  // they come back as a tar stream on stdout. Every word below is a validated
  // method, a sink of the table, cold|warm or a number.
  const std::string total = std::to_string(req.plans.size());
  std::string script = "mkdir -p /scratch/out && cd /scratch/out && rc=0; ";
  for (size_t i = 0; i < req.plans.size(); ++i) {
    const RunParams& p = req.plans[i];
    const std::string n = std::to_string(i + 1);
    std::string run = "/opt/copyscope/copyscope run " + p.method + " --size " + std::to_string(p.size) +
                      " --buffer " + std::to_string(p.buffer) + " --cache " + p.cache + " --sink " + p.sink +
                      " --timeout " + std::to_string(req.timeout_s);
    if (req.max_events) run += " --max-events " + std::to_string(req.max_events);
    // Progress on the guest's console: copyscope-vm shows it as it happens.
    script += "[ $rc -ne 0 ] || { [ -z \"$COPYSCOPE_VM_CONSOLE\" ] || echo \"$COPYSCOPE_VM_REPORT_PREFIX [" + n + "/" +
              total + "] " + p.method + "\" >\"$COPYSCOPE_VM_CONSOLE\"; " + run + " --trace /scratch/out/" + n +
              ".json >/dev/null || rc=$?; }; ";
  }
  script += "tar -cf - *.json; exit $rc";
  const uint64_t scratch_mib = std::max<uint64_t>(1024, 2 * (largest >> 20) + 256);
  std::vector<std::string> args = {lab_vm_script(),
                                   "run",
                                   req.vm.name,
                                   "--build",
                                   build,
                                   "--timeout",
                                   std::to_string(static_cast<uint64_t>(req.timeout_s) * req.plans.size() + 600),
                                   "--scratch-mib",
                                   std::to_string(scratch_mib)};
  if (!req.vm.nic_sg.empty()) args.insert(args.end(), {"--nic-sg", req.vm.nic_sg});
  if (!req.vm.fs.empty()) args.insert(args.end(), {"--scratch-fs", req.vm.fs});
  args.insert(args.end(), {"--exec", "--", "sh", "-c",
                           "export COPYSCOPE_SINK_NETNS=/run/netns/$COPYSCOPE_VM_RX_NETNS "
                           "COPYSCOPE_SINK_ADDR=$COPYSCOPE_VM_RX_ADDR; " +
                               script});
  const std::string tar = ws->path("guest.tar");
  FILE* out = std::fopen(tar.c_str(), "wx");
  if (!out) throw RunError(1, "cannot create " + tar);
  Spawned vm;
  try {
    vm = spawn_group(args, fileno(out), req.cancel, req.on_line);
  } catch (...) {
    std::fclose(out);
    throw;
  }
  std::fclose(out);
  if (vm.cancelled) throw RunError(130, "interrupted: the lab VM was stopped");
  // The guest is ours, but its output is still data: plain names, into the private workspace.
  const std::string dir = ws->path("guest");
  fs::create_directory(dir);
  const Spawned untar = spawn_group({"/usr/bin/tar", "-x", "--no-same-owner", "--no-same-permissions",
                                     "--no-overwrite-dir", "-C", dir, "-f", tar},
                                    -1, nullptr, nullptr);
  std::vector<Run> runs;
  for (size_t i = 0; i < req.plans.size(); ++i) {
    const std::string trace = dir + "/" + std::to_string(i + 1) + ".json";
    if (!fs::is_regular_file(fs::symlink_status(trace))) break;
    try {
      runs.push_back(load_trace(trace));
    } catch (const std::exception& e) {
      throw RunError(1, "the lab VM's trace of " + req.plans[i].method + " does not read: " + e.what());
    }
    runs.back().where = "vm:" + req.vm.name;
  }
  if (vm.exit_code != 0 || untar.exit_code != 0 || runs.size() != req.plans.size()) {
    const std::string failed = req.plans[std::min(runs.size(), req.plans.size() - 1)].method;
    if (done) *done = std::move(runs);
    throw RunError(vm.exit_code == 2 || vm.exit_code == 77 ? 2 : 1,
                   "the run of " + failed + " in the lab VM " + req.vm.name + " failed (copyscope-vm exit " +
                       std::to_string(vm.exit_code) + (untar.exit_code ? ", its output did not unpack" : "") +
                       "; its reason is in the lines above)");
  }
  return runs;
}

int lab_vm_prepare(const std::string& name) {
  if (const std::string why = lab_vm_problem(); !why.empty()) throw RunError(2, why);
  std::unique_ptr<Workspace> ws = make_workspace();
  return spawn_group({lab_vm_script(), "prepare", name, "--build", guest_binaries(*ws)}, -1, nullptr, nullptr)
      .exit_code;
}

int lab_vm_status(bool json) {
  const std::string script = lab_vm_script();
  if (script.empty()) throw RunError(2, "the lab VM's script copyscope-vm is not installed beside copyscope");
  std::vector<std::string> args = {script, "status"};
  if (json) args.push_back("--json");
  return spawn_group(args, -1, nullptr, nullptr).exit_code;
}

}  // namespace copyscope
