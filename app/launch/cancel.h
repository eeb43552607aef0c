// Stopping runs. Each run owns a CancelToken, handed to whatever works for it
// (the runner, the workspace helpers); nothing else stops a run. A signal
// handler only raises a flag and writes a byte to a pipe (interrupt::install):
// the code that owns runs turns that into cancelling their tokens, either by
// reading requested() (the GUI's session, once a frame) or through a
// CancelOnInterrupt guard (code that blocks in a run, as the CLI does).
#pragma once

#include <atomic>

namespace copyscope {

class CancelToken {
 public:
  void cancel() { flag_.store(true); }
  bool cancelled() const { return flag_.load(); }
  // For helpers that poll a flag (create_random_file, prepare_cache).
  const std::atomic<bool>* flag() const { return &flag_; }

 private:
  std::atomic<bool> flag_{false};
};

namespace interrupt {

// SIGINT and SIGTERM: the first raises the flag and wakes the watcher; the
// second gets the default action (a stuck program can still be killed).
void install();
// A signal came. Only the handler writes it; anyone may read it.
bool requested();

// While it lives, a signal cancels `token` (at once if one already came).
class CancelOnInterrupt {
 public:
  explicit CancelOnInterrupt(CancelToken& token);
  ~CancelOnInterrupt();
  CancelOnInterrupt(const CancelOnInterrupt&) = delete;
  CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;

 private:
  CancelToken& token_;
};

}  // namespace interrupt

}  // namespace copyscope
