// The lab VM (issue 25): `copyscope vm prepare|status`, and `run --vm NAME`,
// which runs the scenario in Debian's stock kernel under qemu, on an NVMe disk
// and two e1000 cards (vm/copyscope-vm), and brings its trace back as the Run.
#include "cli/vm.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "cli/common.h"
#include "export/trace.h"
#include "launch/runner.h"
#include "launch/workspace.h"
#include "methods.h"
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

std::unique_ptr<Workspace> make_workspace() {
  try {
    return std::make_unique<Workspace>();
  } catch (const WorkspaceError& e) {
    throw RunError(2, e.what());
  }
}

}  // namespace

void check_vm_name(const std::string& name) {
  for (const char* n : kVmNames)
    if (name == n) return;
  usage_error("--vm " + name + ": the lab VMs are debian-6.12 and debian-6.1");
}

void add_vm_options(CLI::App* cmd, VmOptions& vm) {
  cmd->add_option("--vm", vm.name,
                  "run in the lab VM (debian-6.12 or debian-6.1: NVMe disk, two e1000 cards, DMA measured); "
                  "see 'copyscope vm'");
  cmd->add_option("--nic-sg", vm.nic_sg, "with --vm: the sending card's scatter-gather, on or off (ethtool -K)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--fs", vm.fs,
                  "with --vm: the filesystem of the guest's NVMe disk, where the files are: ext4 (default) or xfs "
                  "(with reflink)")
      ->check(CLI::IsMember({"ext4", "xfs"}));
}

std::string vm_unavailable_reason(const std::string& method) {
  const scenario::MethodInfo* m = scenario::method_info(method);
  if (m && m->requirement == "java") return "the lab VM's guest has no JVM";
  return {};
}

void check_vm_options(const VmOptions& vm, const std::vector<RunParams>& plans) {
  if (vm.name.empty()) {
    if (!vm.nic_sg.empty()) usage_error("--nic-sg needs --vm: this machine's cards are not changed");
    if (!vm.fs.empty()) usage_error("--fs needs --vm: it chooses the lab VM's disk, not this machine's");
    return;
  }
  check_vm_name(vm.name);
  for (const RunParams& p : plans) {
    const std::string why = vm_unavailable_reason(p.method);
    if (!why.empty()) usage_error(p.method + " cannot run with --vm: " + why);
  }
}

std::vector<RunOutcome> run_in_vm(const std::vector<RunParams>& asked, const CommonOptions& o, const VmOptions& vm,
                                  std::vector<RunOutcome>* done) {
  std::vector<RunParams> plans = asked;
  uint64_t largest = 0;
  for (RunParams& p : plans) {
    validate(p);  // the same errors as here, before a guest boots
    largest = std::max(largest, p.size);
  }
  const std::string script = vm_script();
  if (script.empty()) throw RunError(2, "the lab VM's script copyscope-vm is not installed beside copyscope");
  if (geteuid() != 0) throw RunError(2, "the lab VM boots qemu with root's cache of guest images: run it with sudo");
  std::unique_ptr<Workspace> ws = make_workspace();
  const std::string build = guest_binaries(*ws);
  // One boot runs every plan, each leaving its trace as /scratch/out/N.json;
  // they come back as a tar stream on stdout. Every word below is a validated
  // method, a sink of the table, cold|warm or a number.
  std::string script_text = "mkdir -p /scratch/out && cd /scratch/out && rc=0; ";
  for (size_t i = 0; i < plans.size(); ++i) {
    const RunParams& p = plans[i];
    const std::string n = std::to_string(i + 1);
    script_text += "[ $rc -ne 0 ] || { echo \"copyscope: [" + n + "/" + std::to_string(plans.size()) + "] " +
                   p.method + " in the lab VM\" >&2; /opt/copyscope/copyscope run " + p.method + " --size " +
                   std::to_string(p.size) + " --buffer " + std::to_string(p.buffer) + " --cache " + p.cache +
                   " --sink " + p.sink + " --timeout " + std::to_string(o.timeout) + " --max-events " +
                   std::to_string(o.max_events) + " --trace /scratch/out/" + n + ".json >/dev/null || rc=$?; }; ";
  }
  script_text += "tar -cf - *.json; exit $rc";
  const uint64_t mib = largest >> 20;
  std::vector<std::string> args = {script,
                                   "run",
                                   vm.name,
                                   "--build",
                                   build,
                                   "--timeout",
                                   std::to_string(o.timeout * plans.size() + 600),
                                   "--scratch-mib",
                                   std::to_string(std::max<uint64_t>(1024, 2 * mib + 256))};
  if (!vm.nic_sg.empty()) args.insert(args.end(), {"--nic-sg", vm.nic_sg});
  if (!vm.fs.empty()) args.insert(args.end(), {"--scratch-fs", vm.fs});
  args.insert(args.end(), {"--exec", "--", "sh", "-c",
                           "export COPYSCOPE_SINK_NETNS=/run/netns/$COPYSCOPE_VM_RX_NETNS "
                           "COPYSCOPE_SINK_ADDR=$COPYSCOPE_VM_RX_ADDR; " +
                               script_text});
  const std::string tar = ws->path("guest.tar");
  FILE* out = std::fopen(tar.c_str(), "wx");
  if (!out) throw RunError(1, "cannot create " + tar);
  const int rc = spawn_wait(args, fileno(out));
  std::fclose(out);
  // The guest is ours, but its output is still data: plain names, into the private workspace.
  const std::string dir = ws->path("guest");
  fs::create_directory(dir);
  const int untar = spawn_wait({"/usr/bin/tar", "-x", "--no-same-owner", "--no-same-permissions",
                                "--no-overwrite-dir", "-C", dir, "-f", tar},
                               -1);
  std::vector<RunOutcome> outcomes;
  for (size_t i = 0; i < plans.size(); ++i) {
    const std::string trace = dir + "/" + std::to_string(i + 1) + ".json";
    if (!fs::is_regular_file(fs::symlink_status(trace))) break;
    RunOutcome r;
    try {
      r.run = load_trace(trace);
    } catch (const std::exception& e) {
      throw RunError(1, std::string("the lab VM's trace of ") + plans[i].method + " does not read: " + e.what());
    }
    r.run.where = "vm:" + vm.name;
    r.summary = summarize(r.run, Textbook::builtin().find(r.run.params.method));
    outcomes.push_back(std::move(r));
  }
  if (rc != 0 || untar != 0 || outcomes.size() != plans.size()) {
    const std::string failed = outcomes.size() < plans.size() ? plans[outcomes.size()].method : plans.back().method;
    if (done) *done = std::move(outcomes);
    throw RunError(rc == 2 || rc == 77 ? 2 : 1,
                   "the run of " + failed + " in the lab VM " + vm.name + " failed (copyscope-vm exit " +
                       std::to_string(rc) + (untar ? ", its output did not unpack" : "") +
                       "; its reason is the last line above)");
  }
  return outcomes;
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
    if (geteuid() != 0) usage_error("vm prepare builds a guest image with debootstrap: run it with sudo");
    try {
      std::unique_ptr<Workspace> ws = make_workspace();
      exit_code = spawn_wait({script, "prepare", name, "--build", guest_binaries(*ws)}, -1);
    } catch (const RunError& e) {
      std::fprintf(stderr, "copyscope: %s\n", e.what());
      exit_code = e.exit_code;
    }
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
      "  copyscope run sendfile --vm debian-6.12 --nic-sg off --size 24M\n"
      "  copyscope run copy_file_range --vm debian-6.12 --fs xfs --size 24M\n"
      "  copyscope compare read_write sendfile splice --vm debian-6.12 --size 24M\n");
  return cmd;
}

}  // namespace copyscope::cli
