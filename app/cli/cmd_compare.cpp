#include <cstdio>
#include <filesystem>

#include "cli/common.h"
#include "cli/output.h"
#include "cli/vm.h"
#include "launch/runner.h"
#include "methods.h"

namespace copyscope::cli {

namespace {

struct State {
  std::vector<std::string> methods;
  bool all = false;
  CommonOptions opt;
  VmOptions vm;
};

State& state() {
  static State st;
  return st;
}

int compare(State& st) {
  if (st.all || st.methods.empty()) {
    st.methods.clear();
    const std::string bin_dir = std::filesystem::path(scenario_binary()).parent_path().string();
    for (const auto& m : scenario::kMethods) {
      const std::string why_not =
          st.vm.name.empty() ? scenario::unavailable_reason(m, bin_dir) : vm_unavailable_reason(std::string(m.name));
      if (why_not.empty())
        st.methods.emplace_back(m.name);
      else
        std::fprintf(stderr, "copyscope: skipping %s: %s\n", std::string(m.name).c_str(), why_not.c_str());
    }
  }
  // Validate every plan before the first run: a typo should not cost minutes.
  std::vector<RunParams> plans;
  for (const auto& m : st.methods) {
    RunParams p = params_from(m, st.opt);
    validate(p);
    plans.push_back(p);
  }
  check_vm_options(st.vm, plans);
  std::vector<std::string> names;
  for (const auto& p : plans) names.push_back(p.method);
  check_outputs(st.opt, names);
  std::vector<RunOutcome> outcomes;
  if (!st.vm.name.empty()) {
    try {
      outcomes = run_in_vm(plans, st.opt, st.vm, &outcomes);
    } catch (const RunError& e) {
      export_partial_then_rethrow(st.opt, std::move(outcomes), e);
    }
    return finish_compare(st.opt, outcomes);
  }
  for (size_t i = 0; i < plans.size(); ++i) {
    const RunParams& p = plans[i];
    const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(plans.size()) + "] " + p.method;
    try {
      outcomes.push_back(run_one(p, st.opt, !st.opt.json, label));
    } catch (const RunError& e) {
      export_partial_then_rethrow(st.opt, std::move(outcomes), e);
    }
  }
  return finish_compare(st.opt, outcomes);
}

}  // namespace

CLI::App* add_compare(CLI::App& app, int& exit_code) {
  State& st = state();
  auto* cmd = app.add_subcommand("compare", "run several methods with one set of parameters, side by side");
  cmd->add_option("methods", st.methods, "methods to compare (default: all)");
  cmd->add_flag("--all", st.all, "every available method");
  add_common(cmd, st.opt);
  add_vm_options(cmd, st.vm);
  cmd->footer(kExamples);
  cmd->callback([&exit_code] { exit_code = compare(state()); });
  return cmd;
}

}  // namespace copyscope::cli
