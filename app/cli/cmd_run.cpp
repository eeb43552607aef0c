#include <iostream>

#include "cli/common.h"
#include "cli/output.h"
#include "cli/vm.h"

namespace copyscope::cli {

CLI::App* add_run(CLI::App& app, int& exit_code) {
  struct State {
    std::string method;
    CommonOptions opt;
    VmOptions vm;
  };
  static State st;
  auto* cmd = app.add_subcommand("run", "run one method under the tracer and show what the kernel did");
  cmd->add_option("method", st.method, "method name (see 'copyscope list')")->required();
  add_common(cmd, st.opt);
  add_vm_options(cmd, st.vm);
  cmd->footer(kExamples);
  cmd->callback([&exit_code] {
    const RunParams params = params_from(st.method, st.opt);
    check_vm_options(st.vm, {params});
    check_outputs(st.opt, {params.method});
    RunOutcome r;
    try {
      r = st.vm.name.empty() ? run_one(params, st.opt, !st.opt.json)
                             : std::move(run_in_vm({params}, st.opt, st.vm).front());
    } catch (const RunError& e) {
      export_partial_then_rethrow(st.opt, {}, e);
    }
    exit_code = finish_run(st.opt, r);
  });
  return cmd;
}

}  // namespace copyscope::cli
