// copyscope bench pipeline: events per second from the kernel to the model.
#pragma once

#include <CLI/CLI.hpp>

namespace copyscope::cli {

// Adds `pipeline` under the `bench` subcommand.
CLI::App* add_bench_pipeline(CLI::App* bench, int& exit_code);

}  // namespace copyscope::cli
