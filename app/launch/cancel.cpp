#include "launch/cancel.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <set>
#include <thread>

namespace copyscope::interrupt {

namespace {

std::atomic<bool> g_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");
int g_wake[2] = {-1, -1};  // self-pipe: the handler writes, the watcher reads

// Tokens to cancel when a signal comes. Never destroyed: the watcher thread
// may still be blocked on the pipe while static destructors run at exit.
struct Watched {
  std::mutex mu;
  std::set<CancelToken*> tokens;
};
Watched& watched() {
  static Watched* w = new Watched;
  return *w;
}

void on_signal(int) {
  const int saved = errno;
  g_requested.store(true);
  if (g_wake[1] >= 0) {
    const ssize_t n = write(g_wake[1], "!", 1);  // a full pipe is fine: the watcher is awake already
    (void)n;
  }
  errno = saved;
}

// An ordinary thread, so it may lock and cancel what the handler may not.
void watch() {
  char c;
  for (;;) {
    const ssize_t n = read(g_wake[0], &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    std::lock_guard lock(watched().mu);
    for (CancelToken* t : watched().tokens) t->cancel();
  }
}

}  // namespace

void install() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (pipe2(g_wake, O_CLOEXEC) == 0) {
      fcntl(g_wake[1], F_SETFL, fcntl(g_wake[1], F_GETFL) | O_NONBLOCK);  // never block in the handler
      std::thread(watch).detach();
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
  });
}

bool requested() { return g_requested.load(); }

CancelOnInterrupt::CancelOnInterrupt(CancelToken& token) : token_(token) {
  std::lock_guard lock(watched().mu);
  watched().tokens.insert(&token_);
  // The handler raises the flag before it wakes the watcher: a signal either
  // finds this token registered or is seen here.
  if (requested()) token_.cancel();
}

CancelOnInterrupt::~CancelOnInterrupt() {
  std::lock_guard lock(watched().mu);
  watched().tokens.erase(&token_);
}

}  // namespace copyscope::interrupt
