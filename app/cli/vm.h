// The lab VM from the command line (app/cli/cmd_vm.cpp).
#pragma once

#include <string>
#include <vector>

#include "cli/common.h"

namespace copyscope::cli {

// What `run --vm` and `compare --vm` ask of the lab VM.
struct VmOptions {
  std::string name;    // "" (this machine), "debian-6.12" or "debian-6.1"
  std::string nic_sg;  // "", "on" or "off": the sending card's scatter-gather
  std::string fs;      // "", "ext4" or "xfs": the NVMe disk's filesystem (TMPDIR)
};

// --vm, --nic-sg and --fs on `cmd`.
void add_vm_options(CLI::App* cmd, VmOptions& vm);
// Exits 2 (usage) when the options do not go together, or a method cannot run
// in the lab VM (the Java ones: the guest has no JVM).
void check_vm_options(const VmOptions& vm, const std::vector<RunParams>& plans);
// Whether the lab VM can run method m ("" if it can, else why not).
std::string vm_unavailable_reason(const std::string& method);
// Runs every plan in one boot of the lab VM and loads their traces, in order.
// `progress`: print a line per method. Throws RunError (with the runs that
// finished before the failing one in `done`, when given).
std::vector<RunOutcome> run_in_vm(const std::vector<RunParams>& plans, const CommonOptions& o, const VmOptions& vm,
                                  std::vector<RunOutcome>* done = nullptr);
CLI::App* add_vm(CLI::App& app, int& exit_code);

}  // namespace copyscope::cli
