// The unprivileged side of live capture through copyscope-capture
// (app/capture/main.cpp): what run_scenario() does when this process may not
// load BPF programs itself but the installed helper may.
#pragma once

#include <string>

#include "launch/cancel.h"
#include "launch/runner.h"
#include "model/live_run.h"
#include "model/run.h"

namespace copyscope {

// Makes the workspace here (as the user, in $TMPDIR), hands it and the run's
// parameters to `helper`, and turns its messages back into the Run (events
// into `live` as they come, as a run of our own would). Throws RunError as
// run_scenario() does, with the helper's reason.
Run run_via_helper(const RunRequest& req, const std::string& helper, const CancelToken& cancel, LiveRun* live);

}  // namespace copyscope
