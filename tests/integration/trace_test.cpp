// copyscope trace (issue 27): any program, its flows classified by method.
// Runs the real binary; the parts that load BPF skip without root and say why.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

using nlohmann::json;

namespace {

// A directory of our own (mkdtemp: 0700, a fresh name), removed with what is in it.
struct TempDir {
  std::string path;
  TempDir() {
    char templ[] = "/tmp/cs-trace.XXXXXX";
    if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp");
    path = templ;
  }
  ~TempDir() { run_shell("rm -rf -- '" + path + "'"); }
};

void write_random_file(const std::string& path, size_t bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::mt19937_64 rng(27);
  std::vector<uint64_t> block(8192);
  for (size_t done = 0; done < bytes;) {
    for (auto& w : block) w = rng();
    const size_t n = std::min(bytes - done, block.size() * sizeof(uint64_t));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    done += n;
  }
}

bool alive(pid_t pid) { return kill(pid, 0) == 0; }

// Waits for `pid` (our child) at most `ms`; its exit code, or -1 if it is still running.
int wait_exit(pid_t pid, int ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& out = "/dev/null") {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  return pid;
}

// The direct children of pid, from /proc.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  const CommandResult r = run_shell("cat /proc/" + std::to_string(pid) + "/task/*/children 2>/dev/null");
  size_t at = 0;
  while (at < r.out.size()) {
    char* end = nullptr;
    const long v = std::strtol(r.out.c_str() + at, &end, 10);
    if (end == r.out.c_str() + at) break;
    if (v > 0) out.push_back(static_cast<pid_t>(v));
    at = static_cast<size_t>(end - r.out.c_str());
  }
  return out;
}

// Tracing programs still loaded from copyscope's object (bpftool), or -1 without bpftool.
int copyscope_programs() {
  if (run_shell("command -v bpftool >/dev/null 2>&1").exit_code != 0) return -1;
  return std::atoi(run_shell("bpftool prog show 2>/dev/null | grep -c 'name on_sys_enter'").out.c_str());
}

const json* flow_with(const json& j, const std::string& method) {
  if (!j.contains("flows")) return nullptr;
  for (const json& f : j["flows"])
    if (f["method"] == method) return &f;
  return nullptr;
}

}  // namespace

TEST(Trace, UsageErrorsAreOneLineAndExit2) {
  const std::vector<std::string> bad = {
      "trace",
      "trace --pid 1 -- true",
      "trace --duration abc -- true",
      "trace --duration 0 -- true",
      "trace --duration -3 -- true",
      "trace --pid 4194000",
      "trace --pid x12",
      "trace -- /nonexistent/copyscope-no-such-command",
      "trace -- copyscope-no-such-command-27",
  };
  for (const std::string& args : bad) {
    const CommandResult r = run_copyscope(args, "2>&1");
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  }
  const CommandResult help = run_copyscope("trace --help", "2>&1");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("EXAMPLES"), std::string::npos);
  EXPECT_NE(help.out.find("--pid"), std::string::npos);
}

TEST(Trace, CpUsesCopyFileRangeForTheWholeFile) {
  REQUIRE_LIVE_CAPTURE();
  TempDir dir;
  const size_t size = 48u << 20;
  write_random_file(dir.path + "/BIG", size);
  const CommandResult r =
      run_copyscope("trace --json -- cp '" + dir.path + "/BIG' '" + dir.path + "/x'", "2>" + dir.path + "/err");
  ASSERT_EQ(r.exit_code, 0) << run_shell("cat " + dir.path + "/err").out;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out.substr(0, 400);
  EXPECT_EQ(j["method"], "trace");
  EXPECT_TRUE(j.contains("counters") && j.contains("stages") && j.contains("per_call"));
  const json* f = flow_with(j, "copy_file_range");
  ASSERT_TRUE(f) << j["flows"].dump(2);
  EXPECT_EQ((*f)["bytes"].get<uint64_t>(), size) << f->dump(2);
  EXPECT_EQ((*f)["source"]["kind"], "file");
  EXPECT_EQ((*f)["destination"]["kind"], "file");
  // The full path when the capture read /proc while cp still had the file
  // open, else the directory and name the kernel gave at the call.
  const std::string leaf = dir.path.substr(dir.path.rfind('/') + 1);
  for (const auto& [side, file] : {std::pair{"source", "BIG"}, std::pair{"destination", "x"}}) {
    const std::string name = (*f)[side]["name"];
    EXPECT_TRUE(name == dir.path + "/" + file || name == ".../" + leaf + "/" + file) << side << ": " << name;
  }
  for (const char* k : {"mode_switches", "cpu_copies", "dma_copies"}) EXPECT_TRUE((*f)["per_call"].contains(k));
  EXPECT_TRUE((*f)["textbook"]["mode_switches"].is_number());
  EXPECT_EQ(j["scenario"]["exit_status"], 0);
  struct stat st{};
  ASSERT_EQ(stat((dir.path + "/x").c_str(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), size);
}

TEST(Trace, AttachesToARunningProcessForADurationAndDetaches) {
  REQUIRE_LIVE_CAPTURE();
  TempDir dir;
  const int before = copyscope_programs();
  // A writer that runs until it is killed: dd copying /dev/zero to a file, 64 KiB at a time (rewinding).
  const pid_t writer = spawn({"python3", "-c",
                              "import os\n"
                              "src = os.open('/dev/zero', os.O_RDONLY)\n"
                              "dst = os.open('" + dir.path + "/out', os.O_WRONLY | os.O_CREAT, 0o600)\n"
                              "while True:\n"
                              "    os.lseek(dst, 0, 0)\n"
                              "    for _ in range(64): os.write(dst, os.read(src, 65536))\n"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(alive(writer));
  const auto t0 = std::chrono::steady_clock::now();
  const CommandResult r = run_copyscope("trace --json --duration 1.5 --pid " + std::to_string(writer));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(secs, 15.0);
  EXPECT_TRUE(alive(writer)) << "an attached process keeps running";
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out.substr(0, 400);
  EXPECT_EQ(j["scenario"]["stopped_by"], "duration");
  const json* f = flow_with(j, "read_write");
  ASSERT_TRUE(f) << j["flows"].dump(2);
  EXPECT_GT((*f)["bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ((*f)["source"]["kind"], "char");
  EXPECT_EQ((*f)["source"]["name"], "/dev/zero");
  EXPECT_EQ((*f)["destination"]["name"], dir.path + "/out");
  kill(writer, SIGKILL);
  waitpid(writer, nullptr, 0);
  if (before >= 0) EXPECT_EQ(copyscope_programs(), before) << "the tracing programs were detached";
}

TEST(Trace, CtrlCStopsTheCommandPromptlyAndLeavesNothing) {
  REQUIRE_LIVE_CAPTURE();
  TempDir dir;
  const int before = copyscope_programs();
  const pid_t cs = spawn({COPYSCOPE_BIN, "trace", "--", "sleep", "100"}, dir.path + "/log");
  pid_t sleeper = 0;
  for (int i = 0; i < 200 && !sleeper; ++i) {  // the command starts once the probes are attached
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (pid_t c : children_of(cs)) sleeper = c;
  }
  ASSERT_GT(sleeper, 0) << run_shell("cat " + dir.path + "/log").out;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  kill(cs, SIGINT);
  const int code = wait_exit(cs, 10000);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (code < 0) {
    kill(cs, SIGKILL);
    waitpid(cs, nullptr, 0);
  }
  EXPECT_EQ(code, 130) << run_shell("cat " + dir.path + "/log").out;
  EXPECT_LT(secs, 5.0);
  EXPECT_FALSE(alive(sleeper)) << "the traced command was stopped and reaped";
  if (before >= 0) EXPECT_EQ(copyscope_programs(), before);
}

TEST(Trace, TheCommandRunsAsTheUserBehindSudo) {
  REQUIRE_LIVE_CAPTURE();
  // As `sudo copyscope trace -- id -u` would for user nobody; --json sends the command's stdout to stderr.
  const CommandResult r = run_shell("SUDO_UID=65534 SUDO_GID=65534 " + std::string(COPYSCOPE_BIN) +
                                    " trace --json -- id -u 2>&1 >/dev/null");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "65534\n");
}

TEST(Trace, ACommandIsStoppedWhenItsDurationEnds) {
  REQUIRE_LIVE_CAPTURE();
  const auto t0 = std::chrono::steady_clock::now();
  const CommandResult r = run_copyscope("trace --json --duration 1 -- sleep 100");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(secs, 10.0);
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out.substr(0, 300);
  EXPECT_EQ(j["scenario"]["stopped_by"], "duration");
  EXPECT_EQ(j["scenario"]["signal"], SIGINT);
}
