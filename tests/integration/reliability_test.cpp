// Issue 7: nothing left behind on interrupts, nothing let in from other processes.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "support.h"

extern char** environ;

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The /proc directories of the processes alive now, and their pids.
// Processes come and go meanwhile: every step takes an error code, none throws.
std::vector<std::pair<fs::path, pid_t>> process_dirs() {
  std::vector<std::pair<fs::path, pid_t>> out;
  std::error_code ec;
  for (fs::directory_iterator e("/proc", ec), end; !ec && e != end; e.increment(ec)) {
    const std::string name = e->path().filename();
    if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0])))
      out.emplace_back(e->path(), static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10)));
  }
  return out;
}

// The ids of the BPF programs that some live process holds, itself or
// through a link (both kinds of fd name it in fdinfo as "prog_id:").
std::set<unsigned> held_program_ids() {
  std::set<unsigned> ids;
  for (const auto& [dir, pid] : process_dirs()) {
    std::error_code ec;
    for (fs::directory_iterator fd(dir / "fdinfo", ec), end; !ec && fd != end; fd.increment(ec)) {
      std::ifstream info(fd->path());
      for (std::string line; std::getline(info, line);)
        if (line.rfind("prog_id:", 0) == 0)
          ids.insert(static_cast<unsigned>(std::strtoul(line.c_str() + 8, nullptr, 10)));
    }
  }
  return ids;
}

// copyscope's BPF programs loaded right now (by program name); with
// orphans, how many of them no live process holds (pinned, or leaked).
int our_bpf_programs(int* orphans = nullptr) {
  CommandResult r;
  FILE* p = popen("bpftool -j prog show 2>/dev/null", "r");
  if (!p) return -1;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  pclose(p);
  json j = json::parse(r.out, nullptr, false);
  if (!j.is_array()) return -1;
  static const std::set<std::string> ours = {"on_sys_enter", "on_sys_exit", "on_sched_switch", "on_rq_complete"};
  const std::set<unsigned> held = orphans ? held_program_ids() : std::set<unsigned>{};
  int count = 0;
  for (const auto& prog : j) {
    if (!ours.count(prog.value("name", ""))) continue;
    ++count;
    if (orphans && !held.count(prog.value("id", 0u))) ++*orphans;
  }
  return count;
}

// Processes with this comm (and, when given, this text in their command line).
std::vector<pid_t> processes_named(const std::string& comm, const std::string& in_cmdline = "") {
  std::vector<pid_t> out;
  for (const auto& [dir, pid] : process_dirs()) {
    std::ifstream f(dir / "comm");
    std::string c;
    std::getline(f, c);
    if (c != comm) continue;
    std::ifstream cl(dir / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cl)), std::istreambuf_iterator<char>());
    if (in_cmdline.empty() || args.find(in_cmdline) != std::string::npos) out.push_back(pid);
  }
  return out;
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/copyscope-test.XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
  size_t entries() const { return static_cast<size_t>(std::distance(fs::directory_iterator(path), {})); }
};

pid_t spawn_with_tmpdir(const std::vector<std::string>& full, const std::string& tmpdir) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("TMPDIR=", 0) != 0) env_store.emplace_back(*e);
  env_store.push_back("TMPDIR=" + tmpdir);
  std::vector<char*> envp, argv;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = full;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  posix_spawnp(&pid, args[0].c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

pid_t spawn_copyscope(const std::vector<std::string>& args, const std::string& tmpdir) {
  std::vector<std::string> full = {COPYSCOPE_BIN};
  full.insert(full.end(), args.begin(), args.end());
  return spawn_with_tmpdir(full, tmpdir);
}

template <typename Pred>
bool wait_until(Pred pred, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (!wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 30000)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Interrupts `copyscope run` once `moment` says so, then checks what is left.
void interrupt_and_check(int sig, const std::function<bool(const TempDir&)>& moment, const char* what) {
  SCOPED_TRACE(what);
  TempDir tmp;
  ASSERT_GE(our_bpf_programs(), 0) << "bpftool -j prog show failed";
  pid_t pid = spawn_copyscope({"run", "read_write", "--size", "512M", "--buffer", "4K", "--cache", "warm"}, tmp.path);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return moment(tmp); }, 20000)) << "the moment never came";
  kill(pid, sig);
  const int code = wait_exit(pid);
  EXPECT_NE(code, 0);
  EXPECT_NE(code, -1) << "copyscope did not exit within 30 s of the signal";
  EXPECT_EQ(tmp.entries(), 0u) << "the run's temp directory was left behind";
  // Other copyscope instances (another terminal, another test under ctest
  // -j) may load and unload meanwhile, so the count alone proves nothing:
  // what must not be is a program of ours that no process holds. One of
  // another instance's, in its teardown, may be so for a moment.
  int orphans = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        orphans = 0;
        return our_bpf_programs(&orphans) >= 0 && orphans == 0;
      },
      3000))
      << orphans << " BPF programs left loaded, held by no process";
  EXPECT_TRUE(wait_until([&] { return processes_named("copyscope-scena", tmp.path).empty(); }, 2000))
      << "scenario processes left running";
}

}  // namespace

TEST(Reliability, SigintDuringTransfer) {
  REQUIRE_LIVE_CAPTURE();
  interrupt_and_check(
      SIGINT, [](const TempDir& t) { return !processes_named("copyscope-scena", t.path).empty(); },
      "SIGINT mid-transfer");
}

TEST(Reliability, SigtermWhilePreparingTheFile) {
  REQUIRE_LIVE_CAPTURE();
  interrupt_and_check(
      SIGTERM, [](const TempDir& t) { return t.entries() > 0; }, "SIGTERM during setup");
}

TEST(Reliability, TimeoutStopsTheScenario) {
  REQUIRE_LIVE_CAPTURE();
  TempDir tmp;
  pid_t pid = spawn_copyscope({"run", "read_write", "--size", "1G", "--buffer", "4K", "--timeout", "1"}, tmp.path);
  const int code = wait_exit(pid);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(tmp.entries(), 0u);
  EXPECT_TRUE(processes_named("copyscope-scena", tmp.path).empty());
}

TEST(Reliability, WithoutPrivilegesLiveCaptureExplainsAndExitsTwo) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to the nobody user";
  if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv (util-linux) is missing";
  CommandResult r = run_copyscope("run read_write --size 1M", "2>&1 1>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << "as root it runs";
  std::string cmd = std::string("setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all ") + COPYSCOPE_BIN +
                    " run read_write --size 1M 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096] = {};
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  int status = pclose(p);
  std::string out(buf, n);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_NE(out.find("CAP_BPF"), std::string::npos) << out;
  EXPECT_NE(out.find("sudo"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line: " << out;
}

// A noisy unrelated process doing the same syscalls never reaches the counts.
TEST(Reliability, UnrelatedProcessesAreNotCounted) {
  REQUIRE_LIVE_CAPTURE();
  pid_t noise = fork();
  ASSERT_GE(noise, 0);
  if (noise == 0) {
    char buf[4096];
    int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);
    for (;;)
      if (read(in, buf, sizeof buf) > 0) (void)!write(out, buf, sizeof buf);
  }
  json j = run_json("run read_write --size 16M --buffer 64K --cache warm");
  kill(noise, SIGKILL);
  waitpid(noise, nullptr, 0);
  ASSERT_TRUE(j.is_object());
  const json& sys = j["counters"]["syscalls"];
  EXPECT_LE(sys.value("read", 0ull), 257u);
  EXPECT_EQ(sys.value("write", 0ull), 256u);
  EXPECT_EQ(j["counters"]["cpu_copy_bytes"].get<uint64_t>(), 2ull * (16 << 20));
}

TEST(Reliability, InterruptedRunStillWritesItsTraceMarkedPartial) {
  REQUIRE_LIVE_CAPTURE();
  TempDir tmp, out;
  const std::string trace = out.path + "/partial.json";
  pid_t pid = spawn_copyscope(
      {"run", "read_write", "--size", "512M", "--buffer", "64K", "--cache", "warm", "--trace", trace}, tmp.path);
  ASSERT_TRUE(wait_until([&] { return !processes_named("copyscope-scena", tmp.path).empty(); }, 20000));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGINT);
  EXPECT_NE(wait_exit(pid), 0);
  ASSERT_TRUE(fs::exists(trace)) << "no partial trace written";
  json j = run_json("replay " + trace);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["partial"], true);
  EXPECT_EQ(tmp.entries(), 0u);
}

TEST(Reliability, SigintClosesTheGuiAndCleansUpItsRun) {
  REQUIRE_LIVE_CAPTURE();
  if (access("/usr/bin/xvfb-run", X_OK) != 0) GTEST_SKIP() << "xvfb-run is missing (install xvfb)";
  TempDir tmp;
  pid_t xvfb = spawn_with_tmpdir({"xvfb-run", "-a", "-s", "-screen 0 1280x720x24", COPYSCOPE_BIN, "gui", "--run",
                                  "read_write", "--size", "512M", "--buffer", "4K"},
                                 tmp.path);
  ASSERT_GT(xvfb, 0);
  ASSERT_TRUE(wait_until([&] { return !processes_named("copyscope-scena", tmp.path).empty(); }, 30000))
      << "the GUI never started its run";
  std::vector<pid_t> gui = processes_named("copyscope", "gui");
  ASSERT_FALSE(gui.empty());
  for (pid_t p : gui) kill(p, SIGINT);
  EXPECT_EQ(wait_exit(xvfb), 130);
  size_t left = 0;
  for (const auto& e : fs::directory_iterator(tmp.path))
    left += e.path().filename().string().rfind("copyscope.", 0) == 0;
  EXPECT_EQ(left, 0u) << "the run's temp directory was left behind";
  EXPECT_TRUE(wait_until([&] { return processes_named("copyscope-scena", tmp.path).empty(); }, 2000));
}

// A run that cannot fit in TMPDIR says so before writing anything.
TEST(Reliability, RunLargerThanTheFreeSpaceIsRefusedWithExitTwo) {
  REQUIRE_LIVE_CAPTURE();
  TempDir tmp;
  if (mount("copyscope-test", tmp.path.c_str(), "tmpfs", 0, "size=4m") != 0)
    GTEST_SKIP() << "could not mount a small tmpfs: " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{tmp.path};
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old ? old : "";
  setenv("TMPDIR", tmp.path.c_str(), 1);
  CommandResult r = run_copyscope_stderr("run read_write --size 64M");
  if (old)
    setenv("TMPDIR", saved.c_str(), 1);
  else
    unsetenv("TMPDIR");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("not enough free space"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TMPDIR"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line, got: " << r.out;
  EXPECT_EQ(tmp.entries(), 0u) << "the refused run left files in TMPDIR";
}

// Without a loopback interface the receiver can never be reached: the run must
// fail in one line and leave no receiver waiting in accept() behind.
TEST(Reliability, NoLoopbackFailsFastAndLeavesNoReceiver) {
  REQUIRE_LIVE_CAPTURE();
  if (access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "unshare (util-linux) is missing";
  TempDir tmp;
  const std::string cmd = "TMPDIR=" + tmp.path + " timeout -k 5 60 unshare -n " + COPYSCOPE_BIN +
                          " run read_write --size 1M 2>&1 1>/dev/null";
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << "124/137 mean it hung: " << r.out;
  EXPECT_NE(r.out.find("connect to the receiver"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loopback"), std::string::npos) << r.out;
  EXPECT_TRUE(wait_until([&] { return processes_named("copyscope-scena", tmp.path).empty(); }, 2000));
  EXPECT_EQ(tmp.entries(), 0u);
}

// Without a tracefs mount, each run mounts one only it sees: concurrent runs
// (a classroom of them) must not fail over one global mount, nor leave one.
// Most machines mount tracefs at boot, so the runs go into a mount namespace of
// their own (unshare -m) where it is unmounted first.
TEST(Reliability, ConcurrentRunsWithoutTracefsEachMountTheirOwn) {
  REQUIRE_LIVE_CAPTURE();
  if (access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "unshare (util-linux) is missing";
  TempDir tmp;
  const std::string script = tmp.path + "/runs.sh";
  std::ofstream(script)
      << "is_tracefs() { [ \"$(stat -f -c %t \"$1\" 2>/dev/null)\" = 74726163 ]; }\n"
      << "for d in /sys/kernel/debug/tracing /sys/kernel/tracing; do umount -l \"$d\" 2>/dev/null; done\n"
      << "if is_tracefs /sys/kernel/tracing; then echo 'tracefs: still mounted before the runs'; exit 3; fi\n"
      << "for i in 1 2 3 4; do\n"
      << "  " << COPYSCOPE_BIN << " run read_write --size 1M >/dev/null 2>\"" << tmp.path << "/err$i\" &\n"
      << "  eval pid$i=$!\n"
      << "done\n"
      << "for i in 1 2 3 4; do\n"
      << "  eval wait \\$pid$i\n"
      << "  echo \"run $i: exit $?: $(tr '\\n' ' ' <\"" << tmp.path << "/err$i\")\"\n"
      << "done\n"
      << "if is_tracefs /sys/kernel/tracing; then echo 'tracefs: left mounted'; else echo 'tracefs: not mounted'; fi\n";
  const std::string cmd = "unshare -m --propagation private sh " + script + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << out;
  for (int i = 1; i <= 4; ++i) EXPECT_NE(out.find("run " + std::to_string(i) + ": exit 0:"), std::string::npos) << out;
  EXPECT_NE(out.find("tracefs: not mounted"), std::string::npos) << "a run left its tracefs mount behind:\n" << out;
}
