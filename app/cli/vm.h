// The lab VM from the command line (app/cli/cmd_vm.cpp).
#pragma once

#include <string>

#include "cli/common.h"

namespace copyscope::cli {

// Exits 2 (usage) unless `name` is a lab VM.
void check_vm_name(const std::string& name);
// Runs p in the lab VM `vm` (nic_sg: "", "on" or "off") and loads its trace.
// Throws RunError.
RunOutcome run_in_vm(const RunParams& p, const CommonOptions& o, const std::string& vm, const std::string& nic_sg);
CLI::App* add_vm(CLI::App& app, int& exit_code);

}  // namespace copyscope::cli
