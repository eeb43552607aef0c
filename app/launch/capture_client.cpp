#include "launch/capture_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "launch/capture_protocol.h"
#include "launch/workspace.h"
#include "model/run_json.h"

namespace copyscope {

namespace cap = copyscope::capture;
using nlohmann::json;

namespace {

// A message from the helper, for a terminal: control characters dropped, bounded.
std::string plain(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 2000))
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  return out;
}

struct Helper {
  pid_t pid = -1;
  int fd = -1;
  int status = 0;
  bool reaped = false;
  void reap() {
    if (pid > 0 && !reaped) {
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      reaped = true;
    }
  }
  ~Helper() {
    if (pid > 0 && !reaped) {
      kill(pid, SIGTERM);
      reap();
    }
    if (fd >= 0) close(fd);
  }
  std::string how_it_ended() const {
    if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  }
};

}  // namespace

Run run_via_helper(const RunRequest& req, const std::string& helper_path, const CancelToken& cancel, LiveRun* live) {
  RunParams params = req.params;
  validate(params);  // the same clear errors as a run of our own, before anything starts
  if (access(helper_path.c_str(), X_OK) != 0) {
    const CaptureCheck c = capture_available();
    throw RunError(2, c.reason + "; " + c.fix);
  }
  std::unique_ptr<Workspace> ws;
  try {
    ws = std::make_unique<Workspace>();
  } catch (const WorkspaceError& e) {
    throw RunError(2, e.what());
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw RunError(1, std::string("socketpair: ") + std::strerror(errno));
  Helper h;
  h.fd = sv[0];
  const std::vector<std::string> args = {helper_path,
                                         "--parent",    std::to_string(getpid()),
                                         "--workspace", ws->dir(),
                                         "--method",    params.method,
                                         "--size",      std::to_string(params.size),
                                         "--buffer",    std::to_string(params.buffer),
                                         "--cache",     params.cache,
                                         "--sink",      params.sink,
                                         "--timeout",   std::to_string(req.timeout_s)};
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  if (!req.emit_events) argv.push_back(const_cast<char*>("--no-events"));
  argv.push_back(nullptr);
  h.pid = fork();
  if (h.pid < 0) {
    close(sv[1]);
    throw RunError(1, std::string("fork: ") + std::strerror(errno));
  }
  if (h.pid == 0) {
    // Moved above the two fds first (either may sit on 3 or 4 already), then
    // dup2'd there: the copies stay open across exec; everything else is O_CLOEXEC.
    const int sock = fcntl(sv[1], F_DUPFD_CLOEXEC, 10), dir = fcntl(ws->fd(), F_DUPFD_CLOEXEC, 10);
    if (sock < 0 || dir < 0 || dup2(sock, cap::kSocketFd) < 0 || dup2(dir, cap::kWorkspaceFd) < 0) _exit(127);
    execv(helper_path.c_str(), argv.data());
    _exit(127);
  }
  close(sv[1]);

  LiveRun local;
  LiveRun* sink = live ? live : &local;
  sink->set_budget(req.max_events, params.sink);
  EventLog batch;
  std::string payload;
  bool asked_to_stop = false, ended = false;
  json result, error;
  try {
    while (!ended) {
      if (cancel.cancelled() && !asked_to_stop) {
        kill(h.pid, SIGTERM);  // it stops the scenario, cleans up and sends what it has
        asked_to_stop = true;
      }
      pollfd p{h.fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      cap::MessageType type;
      if (!cap::read_message(h.fd, &type, &payload)) break;
      switch (type) {
        case cap::MessageType::Events:
          if (payload.size() % sizeof(Event))
            throw RunError(1, "copyscope-capture sent a partial event record");
          batch.clear();
          append_events(batch, reinterpret_cast<const Event*>(payload.data()), payload.size() / sizeof(Event));
          sink->append(batch);
          break;
        case cap::MessageType::Progress:
          if (req.on_progress) {
            const json j = json::parse(payload, nullptr, false);
            if (j.is_object()) try {
                req.on_progress(cap::progress_from_json(j));
              } catch (const json::exception&) {
              }
          }
          break;
        case cap::MessageType::Result:
          result = json::parse(payload, nullptr, false);
          ended = true;
          break;
        case cap::MessageType::Error:
          error = json::parse(payload, nullptr, false);
          ended = true;
          break;
      }
    }
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const RunError*>(&e)) throw;
    throw RunError(1, e.what());
  }
  h.reap();

  auto run_from = [&](const json& j) {
    Run run = run_from_json(j);
    sink->take_log(run);
    sort_events(run.events);
    return run;
  };
  try {
    if (error.is_object()) {
      const int code = error.value("code", 1);
      const std::string message = plain(error.value("message", std::string("copyscope-capture failed")));
      std::shared_ptr<Run> partial;
      if (error.contains("partial") && error["partial"].is_object())
        partial = std::make_shared<Run>(run_from(error["partial"]));
      throw RunError(code >= 1 && code <= 255 ? code : 1, message, partial);
    }
    if (result.is_object()) return run_from(result);
  } catch (const json::exception& e) {
    throw RunError(1, std::string("copyscope-capture sent a result that does not read: ") + e.what());
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const RunError*>(&e)) throw;
    throw RunError(1, std::string("copyscope-capture sent a result that does not read: ") + e.what());
  }
  if (WIFEXITED(h.status) && WEXITSTATUS(h.status) == 127)
    throw RunError(2, "could not start " + helper_path + " (exec failed): reinstall the package, or run with sudo");
  throw RunError(1, "copyscope-capture " + h.how_it_ended() + " without a result");
}

}  // namespace copyscope
