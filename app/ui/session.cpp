#include "ui/session.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "launch/cancel.h"
#include "launch/runner.h"
#include "model/format.h"
#include "model/live_run.h"
#include "model/size.h"
#include "model/synthetic.h"
#include "model/textbook.h"
#include "trace/environment.h"
#if defined(COPYSCOPE_UI_EXPORT)
#include "export/trace.h"
#define COPYSCOPE_HAVE_TRACE_LOADER 1
#endif

namespace copyscope::ui {

// The live run: the tracer's store thread appends to `live`, poll() copies
// what is new into the session's run once a frame.
struct Session::LiveJob {
  RunParams params;
  CancelToken cancel;
  LiveRun live;
  std::thread worker;
  std::atomic<bool> done{false};
  Run result;
  std::string error;
  size_t session_index = 0;
  size_t copied = 0;  // events already copied into the session's run
  uint64_t generation = 0;  // of the live log when it was copied (LiveRun::generation)
  std::chrono::steady_clock::time_point last_view;
  std::chrono::steady_clock::duration view_every = std::chrono::milliseconds(250);
  std::mutex progress_mu;  // the worker writes, the frame reads
  std::string progress;
  // A lab-VM job instead: its plans, the session's runs waiting for them, what came back.
  bool in_vm = false;
  LabVm vm;
  std::vector<RunParams> vm_plans;
  std::vector<size_t> vm_indices;
  std::vector<Run> vm_runs;
  std::chrono::steady_clock::time_point started;
  // A traced program instead (start_trace).
  bool in_trace = false;
  TraceRequest trace;
  std::string trace_label;
};

Session::Session() {
  CaptureCheck check = capture_available();
  if (!check.ok) capture_problem_ = check.reason + ". " + check.fix;
  vm_problem_ = lab_vm_problem();
}

Session::~Session() { close(); }

void Session::close() {
  stop_live();
  if (job_ && job_->worker.joinable()) job_->worker.join();
  job_.reset();
}

SessionRun* Session::current() { return current_ < runs_.size() ? runs_[current_].get() : nullptr; }

void Session::select(size_t i) {
  if (i >= runs_.size()) return;
  current_ = i;
  ++selections_;
}

void Session::add(SessionRun r) {
  runs_.push_back(std::make_unique<SessionRun>(std::move(r)));
  select(runs_.size() - 1);
}

bool Session::open_recording(const std::string& path) {
#ifdef COPYSCOPE_HAVE_TRACE_LOADER
  try {
    SessionRun r;
    r.run = load_trace(path);
    r.origin = "recording";
    r.label = r.run.params.method + " (" + std::filesystem::path(path).filename().string() + ")";
    r.finished = true;
    const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
    r.run.thinned.tcp_sink = r.run.params.sink == "tcp";
    thin_to_budget(r.run, kGuiMaxEvents);
    sort_events(r.run.events);
    r.summary = summarize(r.run, tb);
    r.view = build_view(r.run, r.summary, tb, true);
    r.cursor = r.view.t1;
    add(std::move(r));
    status_ = say("opened %s", path);
    return true;
  } catch (const std::exception& e) {
    status_ = say("could not open %s: %s", path, std::string(e.what()));
    return false;
  }
#else
  status_ = say("cannot open %s: this build has no trace loader (app/export/trace.h)", path);
  return false;
#endif
}

void Session::open_synthetic(size_t events) {
  SessionRun r;
  r.origin = "synthetic";
  r.run = make_synthetic_run(events);
  r.label = "synthetic (" + format_count(r.run.events.size()) + " events)";
  r.finished = true;
  const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
  r.summary = summarize(r.run, tb);
  r.view = build_view(r.run, r.summary, tb, true);
  r.cursor = r.view.t1;
  add(std::move(r));
}

bool Session::start_live(const RunParams& p) {
  if (job_ || !capture_problem_.empty()) return false;
  auto job = std::make_unique<LiveJob>();
  job->params = p;
  SessionRun r;
  r.origin = "live";
  r.run.params = p;
  // The parameters as typed (format_size round-trips through --size).
  r.label = p.method + " " + format_size(p.size) + " " + (p.sink.empty() ? "" : p.sink + " ") + p.cache;
  r.view = build_view(r.run, r.summary, Textbook::builtin().find(p.method), false);
  add(std::move(r));
  job->session_index = runs_.size() - 1;
  job->last_view = std::chrono::steady_clock::now();
  LiveJob* raw = job.get();
  job->worker = std::thread([raw] {
    try {
      RunRequest req;
      req.params = raw->params;
      req.max_events = kGuiMaxEvents;
      req.on_progress = [raw](const RunProgress& at) {
        std::string text = describe_progress(at);
        std::lock_guard<std::mutex> lock(raw->progress_mu);
        raw->progress = std::move(text);
      };
      raw->result = run_scenario(req, raw->cancel, &raw->live);
    } catch (const std::exception& e) {
      raw->error = e.what();
    }
    raw->done.store(true);
  });
  job_ = std::move(job);
  status_ = say("running %s...", p.method);
  return true;
}

bool Session::start_vm(const std::vector<RunParams>& plans, const LabVm& vm) {
  if (job_ || !vm_problem_.empty() || plans.empty()) return false;
  auto job = std::make_unique<LiveJob>();
  job->in_vm = true;
  job->vm = vm;
  job->params = plans.front();
  for (const RunParams& p : plans) {
    try {
      RunParams v = p;
      validate(v);
      if (!lab_vm_method_problem(v.method).empty()) continue;
      job->vm_plans.push_back(v);
    } catch (const std::exception&) {
      continue;  // not runnable (yet)
    }
  }
  if (job->vm_plans.empty()) return false;
  for (const RunParams& p : job->vm_plans) {
    SessionRun r;
    r.origin = "lab VM";
    r.run.params = p;
    r.run.where = "vm:" + vm.name;
    r.label = p.method + " " + format_size(p.size) + " " + p.cache + " (" + vm.name + ")";
    r.view = build_view(r.run, r.summary, Textbook::builtin().find(p.method), false);
    add(std::move(r));
    job->vm_indices.push_back(runs_.size() - 1);
  }
  job->started = std::chrono::steady_clock::now();
  LiveJob* raw = job.get();
  job->worker = std::thread([raw] {
    try {
      LabVmRequest req;
      req.plans = raw->vm_plans;
      req.vm = raw->vm;
      req.max_events = kGuiMaxEvents;
      req.cancel = &raw->cancel;
      req.on_line = [raw](const std::string& line) {
        std::lock_guard<std::mutex> lock(raw->progress_mu);
        raw->progress = line.substr(0, 200);
      };
      raw->vm_runs = run_in_lab_vm(req, &raw->vm_runs);
    } catch (const std::exception& e) {
      raw->error = e.what();
    }
    raw->done.store(true);
  });
  job_ = std::move(job);
  status_ = say("booting the lab VM %s...", vm.name);
  return true;
}

bool Session::start_trace(const TraceRequest& req, const std::string& label) {
  if (job_ || !capture_problem_.empty()) return false;
  auto job = std::make_unique<LiveJob>();
  job->in_trace = true;
  job->trace = req;
  job->trace.max_events = kGuiMaxEvents;
  job->trace_label = label;
  job->params.method = kTraceMethod;
  job->started = std::chrono::steady_clock::now();
  SessionRun r;
  r.origin = "live";
  r.run.params.method = kTraceMethod;
  r.run.params.sink = kTraceSink;
  r.label = "trace " + label;
  r.view = build_view(r.run, r.summary, nullptr, false);
  add(std::move(r));
  job->session_index = runs_.size() - 1;
  LiveJob* raw = job.get();
  job->worker = std::thread([raw] {
    try {
      raw->result = trace_program(raw->trace, raw->cancel).run;
    } catch (const std::exception& e) {
      raw->error = e.what();
    }
    raw->done.store(true);
  });
  job_ = std::move(job);
  status_ = say("tracing %s...", label);
  return true;
}

void Session::finish_trace() {
  job_->worker.join();
  SessionRun& r = *runs_[job_->session_index];
  if (!job_->error.empty()) {
    r.failed = true;
    r.error = job_->error;
    status_ = say("trace: %s", job_->error);
  } else {
    r.run = std::move(job_->result);
    sort_events(r.run.events);
    r.summary = summarize(r.run, nullptr);
    status_ = say("traced %s: %s flow(s), %s delivered", job_->trace_label, std::to_string(r.summary.flows.size()),
                  format_bytes(r.summary.bytes));
  }
  r.finished = true;
  r.view = build_view(r.run, r.summary, nullptr, true);
  r.cursor = r.view.t1;
  job_.reset();
  start_next_queued();
}

void Session::finish_vm() {
  job_->worker.join();
  for (size_t i = 0; i < job_->vm_indices.size(); ++i) {
    SessionRun& r = *runs_[job_->vm_indices[i]];
    r.finished = true;
    if (i < job_->vm_runs.size()) {
      r.run = std::move(job_->vm_runs[i]);
      const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
      r.summary = summarize(r.run, tb);
      sort_events(r.run.events);
      r.view = build_view(r.run, r.summary, tb, true);
      r.cursor = r.view.t1;
    } else {
      r.failed = true;
      r.error = job_->error.empty() ? "the lab VM returned no trace for it" : job_->error;
    }
  }
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - job_->started).count();
  status_ = job_->error.empty() ? say("the lab VM %s ran %s method(s) in %s s", job_->vm.name,
                                      std::to_string(job_->vm_runs.size()), std::to_string(secs))
                                : say("lab VM: %s", job_->error);
  if (!job_->vm_indices.empty()) select(job_->vm_indices.front());
  job_.reset();
  start_next_queued();
}

void Session::queue(const RunParams& p) {
  queue_.push_back(p);
  start_next_queued();
}

void Session::queue_all(const RunParams& like) {
  for (const auto& m : Textbook::builtin().methods()) {
    RunParams p = like;
    p.method = m.name;
    p.sink.clear();
    try {
      validate(p);
    } catch (const std::exception&) {
      continue;  // not runnable here (yet)
    }
    queue_.push_back(p);
  }
  start_next_queued();
}

void Session::start_next_queued() {
  if (job_ || queue_.empty() || interrupt::requested()) return;
  RunParams p = queue_.front();
  queue_.pop_front();
  start_live(p);
}

void Session::stop_live() {
  queue_.clear();
  if (job_) job_->cancel.cancel();
}

void Session::poll(bool follow) {
  if (interrupt::requested()) stop_live();
  if (!job_) {
    start_next_queued();
    return;
  }
  if (job_->in_trace) {
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - job_->started).count();
    status_ = say("tracing %s (%s s; Stop ends the trace)", job_->trace_label, std::to_string(secs));
    if (job_->done.load()) finish_trace();
    return;
  }
  if (job_->in_vm) {
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - job_->started).count();
    {
      std::lock_guard<std::mutex> lock(job_->progress_mu);
      status_ = job_->progress.empty() ? say("lab VM %s (%s s): booting...", job_->vm.name, std::to_string(secs))
                                       : say("lab VM %s (%s s): %s", job_->vm.name, std::to_string(secs), job_->progress);
    }
    if (job_->done.load()) finish_vm();
    return;
  }
  SessionRun& r = *runs_[job_->session_index];
  {
    std::lock_guard<std::mutex> lock(job_->progress_mu);
    if (!job_->progress.empty())
      status_ = queue_.empty() ? say("%s: %s", job_->params.method, job_->progress)
                               : say("%s: %s (%s more queued)", job_->params.method, job_->progress,
                                     std::to_string(queue_.size()));
  }
  // The live run's lock, once per frame: copy what is new.
  job_->live.with_run([&](Run& lr) {
    // Thinned past its budget since the last frame: the copy starts over.
    if (const uint64_t g = job_->live.generation(); g != job_->generation) {
      job_->generation = g;
      r.run.events.clear();
      job_->copied = 0;
    }
    r.run.event_stride = lr.event_stride;
    if (lr.event_stride > 1) r.run.thinned = lr.thinned;
    if (job_->copied < lr.events.size()) {
      r.run.events.insert(r.run.events.end(), lr.events.begin() + static_cast<long>(job_->copied), lr.events.end());
      job_->copied = lr.events.size();
    }
  });
  auto now = std::chrono::steady_clock::now();
  if (now - job_->last_view > job_->view_every) {
    sort_events(r.run.events);
    const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
    r.summary = summarize_live(r.run, tb);
    r.view = build_view(r.run, r.summary, tb, false);
    if (follow) r.cursor = r.run.events.empty() ? r.view.t0 : r.run.events.back().ts;
    // Rebuilding grows with the events: keep it under a fifth of the time so
    // the window stays responsive however large the run gets.
    const auto done = std::chrono::steady_clock::now();
    job_->view_every = std::max<std::chrono::steady_clock::duration>(std::chrono::milliseconds(250), (done - now) * 5);
    job_->last_view = done;
  }
  if (job_->done.load()) finish_live();
}

void Session::finish_live() {
  job_->worker.join();
  SessionRun& r = *runs_[job_->session_index];
  const TextbookMethod* tb = Textbook::builtin().find(job_->params.method);
  if (!job_->error.empty()) {
    r.failed = true;
    r.error = job_->error;
    status_ = say("%s: %s", job_->params.method, job_->error);
    queue_.clear();
  } else {
    r.run = std::move(job_->result);
    r.summary = summarize(r.run, tb);
    status_ = say("%s finished: %s in %s", job_->params.method, format_bytes(r.summary.bytes),
                  format_duration(static_cast<double>(r.summary.duration_ns)));
  }
  r.finished = true;
  sort_events(r.run.events);
  r.view = build_view(r.run, r.summary, tb, true);
  r.cursor = r.view.t1;
  job_.reset();
  start_next_queued();
}

}  // namespace copyscope::ui
