// The window's session: its runs (live, recorded, synthetic), the worker
// thread of the live run and its cancel token, the queue of runs to come.
// What the panels show, apart from how they show it (Tracy's Worker and
// View): no ImGui here, so it can be driven without a display.
//
// It lives in ui/ rather than below it because each run carries its RunView,
// the layout the panels draw from; the CLI, which blocks in one run at a
// time, needs neither and keeps its runs itself (cli/common.cpp).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "launch/lab_vm.h"
#include "launch/trace_program.h"
#include "model/analysis.h"
#include "model/i18n.h"
#include "model/run.h"
#include "ui/run_view.h"

namespace copyscope::ui {

// One run of the session: live, recorded or synthetic.
struct SessionRun {
  std::string label;
  std::string origin;  // live | recording | synthetic
  Run run;
  Summary summary;
  bool finished = false;
  bool failed = false;
  std::string error;
  RunView view;
  uint64_t cursor = 0;  // replay position (absolute ns)
};

// The events a run of the window keeps (Run::event_stride past it): what the
// panels build from one takes about 300 bytes per event, and the timeline
// draws a few thousand shapes whatever the count. Figures stay exact.
inline constexpr size_t kGuiMaxEvents = size_t{1} << 20;

class Session {
 public:
  Session();   // checks once whether live capture works here
  ~Session();  // close()
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The runs in the order they came; one of them is current (shown).
  const std::vector<std::unique_ptr<SessionRun>>& runs() const { return runs_; }
  SessionRun* current();
  size_t current_index() const { return current_; }
  void select(size_t i);
  // Counts select() calls (adding a run selects it): the window compares it
  // to follow the current run's method in its Scenario panel.
  uint64_t selections() const { return selections_; }
  void add(SessionRun r);                        // and selects it
  bool open_recording(const std::string& path);  // status() says what happened
  void open_synthetic(size_t events);

  // Live runs, one at a time, each on a worker thread with its own cancel
  // token; the others wait in a queue.
  bool start_live(const RunParams& p);    // false when one is running or capture is off
  void queue(const RunParams& p);         // after the queued ones; starts when the worker is free
  void queue_all(const RunParams& like);  // every method that can run here
  void stop_live();                       // cancels the live run and empties the queue
  // Runs in the lab VM: one boot runs every plan (a minute or two under
  // emulation); their runs arrive when the guest is done. Stop cancels it.
  bool start_vm(const std::vector<RunParams>& plans, const LabVm& vm);
  const std::string& vm_problem() const { return vm_problem_; }  // empty: the lab VM can run here
  // A program traced (copyscope trace): its run arrives when it exits, its
  // duration ends or Stop is pressed (a command is stopped, a --pid left running).
  bool start_trace(const TraceRequest& req, const std::string& label);
  bool live_busy() const { return job_ != nullptr; }
  bool settled() const { return !job_ && queue_.empty(); }
  // Once a frame: after a signal (interrupt::requested) cancels the live run
  // and starts no other; copies what the live run captured since the last
  // call and, at most every few hundred ms, derives its view again (moving
  // its cursor to the newest event when `follow`); ends a finished run and
  // starts the next queued one.
  void poll(bool follow);
  // Cancels the live run, empties the queue and waits for the worker.
  void close();

  const std::string& capture_problem() const { return capture_problem_; }  // empty: live capture works
  const Text& status() const { return status_; }  // in both languages
  void set_status(Text s) { status_ = std::move(s); }

 private:
  struct LiveJob;
  void finish_live();
  void finish_vm();
  void finish_trace();
  void start_next_queued();

  std::vector<std::unique_ptr<SessionRun>> runs_;
  size_t current_ = 0;
  uint64_t selections_ = 0;
  std::unique_ptr<LiveJob> job_;
  std::deque<RunParams> queue_;
  std::string capture_problem_;
  std::string vm_problem_;
  Text status_;
};

}  // namespace copyscope::ui
