#include <iostream>

#include "cli/common.h"
#include "cli/output.h"
#include "cli/vm.h"

namespace copyscope::cli {

CLI::App* add_run(CLI::App& app, int& exit_code) {
  struct State {
    std::string method;
    CommonOptions opt;
    std::string vm;
    std::string nic_sg;
  };
  static State st;
  auto* cmd = app.add_subcommand("run", "run one method under the tracer and show what the kernel did");
  cmd->add_option("method", st.method, "method name (see 'copyscope list')")->required();
  add_common(cmd, st.opt);
  cmd->add_option("--vm", st.vm,
                  "run in the lab VM (debian-6.12 or debian-6.1: NVMe disk, two e1000 cards, DMA measured); "
                  "see 'copyscope vm'");
  cmd->add_option("--nic-sg", st.nic_sg, "with --vm: the sending card's scatter-gather, on or off (ethtool -K)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->footer(kExamples);
  cmd->callback([&exit_code] {
    const RunParams params = params_from(st.method, st.opt);
    if (!st.vm.empty()) check_vm_name(st.vm);
    if (!st.nic_sg.empty() && st.vm.empty()) usage_error("--nic-sg needs --vm: this machine's cards are not changed");
    check_outputs(st.opt, {params.method});
    RunOutcome r;
    try {
      r = st.vm.empty() ? run_one(params, st.opt, !st.opt.json) : run_in_vm(params, st.opt, st.vm, st.nic_sg);
    } catch (const RunError& e) {
      export_partial_then_rethrow(st.opt, {}, e);
    }
    exit_code = finish_run(st.opt, r);
  });
  return cmd;
}

}  // namespace copyscope::cli
