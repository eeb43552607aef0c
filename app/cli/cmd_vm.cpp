// The lab VM (issue 25) on the command line: `copyscope vm prepare|status`,
// and --vm on run and compare (launch/lab_vm.h runs the guest).
#include "cli/vm.h"

#include <cstdio>

#include "launch/lab_vm.h"
#include "launch/runner.h"
#include "model/textbook.h"

namespace copyscope::cli {

void check_vm_name(const std::string& name) {
  if (is_lab_vm(name)) return;
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

std::string vm_unavailable_reason(const std::string& method) { return lab_vm_method_problem(method); }

void check_vm_options(const VmOptions& vm, const std::vector<RunParams>& plans) {
  if (vm.name.empty()) {
    if (!vm.nic_sg.empty()) usage_error("--nic-sg needs --vm: this machine's cards are not changed");
    if (!vm.fs.empty()) usage_error("--fs needs --vm: it chooses the lab VM's disk, not this machine's");
    return;
  }
  check_vm_name(vm.name);
  for (const RunParams& p : plans) {
    const std::string why = lab_vm_method_problem(p.method);
    if (!why.empty()) usage_error(p.method + " cannot run with --vm: " + why);
  }
}

std::vector<RunOutcome> run_in_vm(const std::vector<RunParams>& asked, const CommonOptions& o, const VmOptions& vm,
                                  std::vector<RunOutcome>* done) {
  LabVmRequest req;
  req.plans = asked;
  for (RunParams& p : req.plans) validate(p);  // the same errors as here, before a guest boots
  req.vm = {vm.name, vm.nic_sg, vm.fs};
  req.timeout_s = o.timeout;
  req.max_events = o.max_events;
  auto outcome = [](Run&& run) {
    RunOutcome r;
    r.run = std::move(run);
    r.summary = summarize(r.run, Textbook::builtin().find(r.run.params.method));
    return r;
  };
  std::vector<Run> finished;
  std::vector<RunOutcome> out;
  try {
    for (Run& run : run_in_lab_vm(req, &finished)) out.push_back(outcome(std::move(run)));
  } catch (const RunError&) {
    if (done)
      for (Run& run : finished) done->push_back(outcome(std::move(run)));
    throw;
  }
  return out;
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
    try {
      exit_code = lab_vm_prepare(name);
    } catch (const RunError& e) {
      std::fprintf(stderr, "copyscope: %s\n", e.what());
      exit_code = e.exit_code;
    }
  });
  auto* status = cmd->add_subcommand("status", "what guest images are cached, their size and age");
  status->add_flag("--json", json, "print one JSON object");
  status->callback([&exit_code] {
    try {
      exit_code = lab_vm_status(json);
    } catch (const RunError& e) {
      std::fprintf(stderr, "copyscope: %s\n", e.what());
      exit_code = e.exit_code;
    }
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
