// The lab VM (issue 25): `copyscope vm prepare|status`, and `run --vm NAME`,
// which runs the scenario in Debian's stock kernel under qemu, on an NVMe disk
// and two e1000 cards (vm/copyscope-vm), and brings its trace back as the Run.
#include "cli/vm.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "cli/common.h"
#include "export/trace.h"
#include "launch/runner.h"
#include "launch/workspace.h"
#include "model/textbook.h"

namespace copyscope::cli {

namespace fs = std::filesystem;

namespace {

const char* const kVmNames[] = {"debian-6.12", "debian-6.1"};

// vm/copyscope-vm: beside copyscope in a build directory, else in libexec.
std::string vm_script() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& p : {exe.parent_path() / "copyscope-vm", exe.parent_path() / ".." / "libexec" / "copyscope" /
                                                                     "copyscope-vm"})
    if (!ec && fs::exists(p, ec)) return p.string();
  return {};
}

// Runs argv, its stdout into out_fd when >= 0; returns the exit code (128+N for signal N).
int spawn_wait(const std::vector<std::string>& args, int out_fd) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw RunError(1, "fork failed");
  if (pid == 0) {
    if (out_fd >= 0) dup2(out_fd, 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

void check_vm_name(const std::string& name) {
  for (const char* n : kVmNames)
    if (name == n) return;
  usage_error("--vm " + name + ": the lab VMs are debian-6.12 and debian-6.1");
}

RunOutcome run_in_vm(const RunParams& asked, const CommonOptions& o, const std::string& vm, const std::string& nic_sg) {
  RunParams p = asked;
  validate(p);  // the same errors as here, before a guest boots
  const std::string script = vm_script();
  if (script.empty()) throw RunError(2, "the lab VM's script copyscope-vm is not installed beside copyscope");
  if (geteuid() != 0) throw RunError(2, "the lab VM boots qemu with root's cache of guest images: run it with sudo");
  const std::string build = fs::read_symlink("/proc/self/exe").parent_path().string();
  if (!fs::exists(build + "/copyscope-scenario") || !fs::exists(build + "/assets"))
    throw RunError(2, "the lab VM copies a build directory into the guest: run the copyscope of one (" + build +
                          " is an installed one)");
  std::unique_ptr<Workspace> ws;
  try {
    ws = std::make_unique<Workspace>();
  } catch (const WorkspaceError& e) {
    throw RunError(2, e.what());
  }
  // Every word below is a validated method, a sink of the table, cold|warm or a number.
  const std::string guest_trace = "/scratch/copyscope-run.trace.json";
  std::string cmd = "/opt/copyscope/copyscope run " + p.method + " --size " + std::to_string(p.size) + " --buffer " +
                    std::to_string(p.buffer) + " --cache " + p.cache + " --sink " + p.sink + " --timeout " +
                    std::to_string(o.timeout) + " --max-events " + std::to_string(o.max_events) + " --trace " +
                    guest_trace + " >/dev/null && cat " + guest_trace;
  std::vector<std::string> args = {script, "run", vm, "--build", build, "--timeout", std::to_string(o.timeout + 600)};
  if (!nic_sg.empty()) args.insert(args.end(), {"--nic-sg", nic_sg});
  args.insert(args.end(), {"--exec", "--", "sh", "-c",
                           "COPYSCOPE_SINK_NETNS=/run/netns/$COPYSCOPE_VM_RX_NETNS "
                           "COPYSCOPE_SINK_ADDR=$COPYSCOPE_VM_RX_ADDR " +
                               cmd});
  const std::string trace = ws->path("guest.trace.json");
  FILE* out = std::fopen(trace.c_str(), "wx");
  if (!out) throw RunError(1, "cannot create " + trace);
  const int rc = spawn_wait(args, fileno(out));
  std::fclose(out);
  if (rc != 0)
    throw RunError(rc == 2 || rc == 77 ? 2 : 1,
                   "the run in the lab VM " + vm + " failed (copyscope-vm exit " + std::to_string(rc) +
                       "; its reason is the last line above)");
  RunOutcome r;
  try {
    r.run = load_trace(trace);
  } catch (const std::exception& e) {
    throw RunError(1, std::string("the lab VM's trace does not read: ") + e.what());
  }
  r.run.where = "vm:" + vm;
  r.summary = summarize(r.run, Textbook::builtin().find(r.run.params.method));
  return r;
}

CLI::App* add_vm(CLI::App& app, int& exit_code) {
  static std::string name = "debian-6.12";
  static bool json = false;
  auto* cmd = app.add_subcommand("vm", "the lab VM: Debian's stock kernels under qemu with an NVMe disk and two "
                                       "e1000 cards, where DMA is measured (run --vm NAME)");
  cmd->require_subcommand(1);
  auto* prepare = cmd->add_subcommand("prepare", "build and cache a guest image once (from Debian's packages)");
  prepare->add_option("name", name, "debian-6.12 or debian-6.1")->capture_default_str();
  prepare->callback([&exit_code] {
    check_vm_name(name);
    const std::string script = vm_script();
    if (script.empty()) usage_error("the lab VM's script copyscope-vm is not installed beside copyscope");
    exit_code = spawn_wait({script, "prepare", name, "--build",
                            fs::read_symlink("/proc/self/exe").parent_path().string()},
                           -1);
  });
  auto* status = cmd->add_subcommand("status", "what guest images are cached, their size and age");
  status->add_flag("--json", json, "print one JSON object");
  status->callback([&exit_code] {
    const std::string script = vm_script();
    if (script.empty()) usage_error("the lab VM's script copyscope-vm is not installed beside copyscope");
    std::vector<std::string> args = {script, "status"};
    if (json) args.push_back("--json");
    exit_code = spawn_wait(args, -1);
  });
  cmd->footer(
      "\nEXAMPLES\n  copyscope vm prepare debian-6.12\n  copyscope vm status\n"
      "  copyscope run read_write --vm debian-6.12 --size 24M --buffer 16K --json\n"
      "  copyscope run sendfile --vm debian-6.12 --nic-sg off --size 24M\n");
  return cmd;
}

}  // namespace copyscope::cli
