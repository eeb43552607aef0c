// Issue 23, as an attacker and as a user with bad luck would try it: a TMPDIR
// others can write, planted symlinks at every name an export writes, kill -9
// in the middle of a run, a full filesystem under --trace, a directory as
// --trace. Each asserts what is left on disk and in the process table.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// A private directory under /tmp, removed at the end.
struct TempDir {
  fs::path path;
  explicit TempDir(mode_t mode = 0700) {
    char templ[] = "/tmp/cs-contain.XXXXXX";
    if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp");
    path = templ;
    chmod(templ, mode);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
    return names;
  }
};

struct Result {
  int exit_code = -1;
  std::string out, err;
  double seconds = 0;
};

// Runs `cmd` with sh, stdout and stderr captured apart.
Result shell(const std::string& cmd) {
  TempDir scratch;
  const std::string out = (scratch.path / "out").string(), err = (scratch.path / "err").string();
  const auto t0 = Clock::now();
  const int status = std::system((cmd + " >" + out + " 2>" + err).c_str());
  Result r;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string bin() { return COPYSCOPE_BIN; }

size_t lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n');
}

// /proc/PID/stat: ppid, process group and state of a live process.
struct ProcStat {
  bool exists = false;
  char state = 0;
  pid_t ppid = 0, pgrp = 0;
  std::string comm;
};

ProcStat proc_stat(pid_t pid) {
  ProcStat s;
  const std::string text = slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return s;
  s.comm = text.substr(open + 1, close - open - 1);
  if (std::sscanf(text.c_str() + close + 1, " %c %d %d", &s.state, &s.ppid, &s.pgrp) != 3) return s;
  s.exists = s.state != 'Z' && s.state != 'X';
  return s;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

TEST(Containment, NonStickyWorldWritableTmpdirIsExit2WithOneLine) {
  TempDir tmp(0777);
  const Result r = shell("TMPDIR=" + tmp.path.string() + " " + bin() + " run read_write --size 1M --json");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("TMPDIR=" + tmp.path.string() + " is world-writable without the sticky bit"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("chmod +t"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(tmp.entries().empty()) << "nothing may be created in a TMPDIR another user can swap";
}

TEST(Containment, DirectoryAsTraceIsExit2BeforeAnyRun) {
  TempDir tmp, out;
  fs::create_directory(out.path / "t.json");
  const Result r = shell("TMPDIR=" + tmp.path.string() + " " + bin() + " run read_write --size 64M --trace " +
                         (out.path / "t.json").string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("it is a directory"), std::string::npos) << r.err;
  EXPECT_TRUE(tmp.entries().empty()) << "no workspace: the run never started";
  EXPECT_LT(r.seconds, 5.0) << "refused only after a run";
  // A Markdown report's chart name that is a directory is found before the run too.
  fs::create_directory(out.path / "r-copies.svg");
  const Result c = shell("TMPDIR=" + tmp.path.string() + " " + bin() + " run read_write --size 64M --report " +
                         (out.path / "r.md").string());
  EXPECT_EQ(c.exit_code, 2) << c.err;
  EXPECT_NE(c.err.find("r-copies.svg: it is a directory"), std::string::npos) << c.err;
  // Two exports at one name would overwrite each other: refused before the run too.
  const Result d = shell("TMPDIR=" + tmp.path.string() + " " + bin() + " run read_write --size 64M --report " +
                         (out.path / "s.md").string() + " --trace " + (out.path / "s-copies.svg").string());
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_EQ(lines(d.err), 1u) << d.err;
  EXPECT_NE(d.err.find("would both be written to"), std::string::npos) << d.err;
  EXPECT_TRUE(tmp.entries().empty());
}

// Symlinks at every name the exports write, each to a file of "someone else".
// An HTML report is one file; a Markdown one writes its charts and the run's
// diagram beside it as SVG (FILE-copies.svg ...), named by position only.
void check_symlinks_not_followed(const std::string& report_name) {
  TempDir tmp, out, victims;
  const std::string stem = report_name.substr(0, report_name.find('.'));
  const bool md = report_name.size() > 3 && report_name.substr(report_name.size() - 3) == ".md";
  std::vector<std::string> written = {report_name, "t.json", "t.csv"};
  if (md)
    for (const char* s : {"-copies.svg", "-switches.svg", "-datapath-1.svg", "-timeline-1.svg"})
      written.push_back(stem + s);
  // Names a second run would use: one run leaves the links planted there as they were.
  const std::vector<std::string> unused = {stem + "-timeline-2.svg", stem + "-datapath-2.svg"};
  std::vector<std::string> names = written;
  names.insert(names.end(), unused.begin(), unused.end());
  for (const std::string& n : names) {
    spit(victims.path / n, "precious " + n);
    ASSERT_EQ(symlink((victims.path / n).c_str(), (out.path / n).c_str()), 0) << n;
  }
  const Result r = shell("TMPDIR=" + tmp.path.string() + " " + bin() + " run read_write --size 1M --json --report " +
                         (out.path / report_name).string() + " --csv " + (out.path / "t.csv").string() + " --trace " +
                         (out.path / "t.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& n : names)
    EXPECT_EQ(slurp(victims.path / n), "precious " + n) << n << ": the symlink was followed";
  for (const std::string& n : written) {
    struct stat st {};
    ASSERT_EQ(lstat((out.path / n).c_str(), &st), 0) << n;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << n << " should now be the export itself, not the planted link";
    EXPECT_GT(st.st_size, 0) << n;
  }
  for (const std::string& n : unused) EXPECT_TRUE(fs::is_symlink(out.path / n)) << n;
  if (md) EXPECT_NE(slurp(out.path / report_name).find(stem + "-timeline-1.svg"), std::string::npos);
  for (const auto& e : fs::directory_iterator(out.path))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "temp file left: " << e.path();
  EXPECT_TRUE(tmp.entries().empty());
}

TEST(Containment, PlantedSymlinksAtAMarkdownReportsNamesAreNotFollowed) {
  REQUIRE_LIVE_CAPTURE();
  check_symlinks_not_followed("x.md");
}

TEST(Containment, PlantedSymlinksAtAnHtmlReportsNamesAreNotFollowed) {
  REQUIRE_LIVE_CAPTURE();
  check_symlinks_not_followed("x.html");
}

// kill -9 of `copyscope run METHOD` while the scenario's tree of `processes`
// (the scenario, its receiver, a JVM) transfers.
void kill_nine_mid_run(const char* method, const char* size, const char* buffer, size_t processes) {
  TempDir tmp;
  const pid_t copyscope = fork();
  ASSERT_GE(copyscope, 0);
  if (copyscope == 0) {
    setenv("TMPDIR", tmp.path.c_str(), 1);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(COPYSCOPE_BIN, COPYSCOPE_BIN, "run", method, "--size", size, "--buffer", buffer, "--cache", "warm",
          "--timeout", "300", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the scenario (our child's child) and its receiver to be running.
  pid_t scenario = 0;
  std::set<pid_t> tree;
  const auto give_up = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < give_up) {
    for (pid_t p : all_pids()) {
      const ProcStat s = proc_stat(p);
      if (s.exists && s.ppid == copyscope && s.comm.rfind("copyscope-scen", 0) == 0) scenario = p;
    }
    if (scenario) {
      for (pid_t p : all_pids()) {
        const ProcStat s = proc_stat(p);
        if (s.exists && (p == scenario || s.ppid == scenario)) tree.insert(p);
      }
      if (tree.size() >= processes) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!scenario) {
    kill(copyscope, SIGKILL);
    waitpid(copyscope, nullptr, 0);
    FAIL() << "the scenario never started";
  }
  ASSERT_GE(tree.size(), processes);
  // Well inside the transfer (a JVM takes a while to start).
  std::this_thread::sleep_for(std::chrono::milliseconds(processes > 2 ? 2000 : 300));
  const pid_t group = proc_stat(scenario).pgrp;
  ASSERT_EQ(group, scenario) << "the scenario leads a process group of its own";
  ASSERT_EQ(kill(copyscope, SIGKILL), 0);
  waitpid(copyscope, nullptr, 0);

  const auto t0 = Clock::now();
  auto remaining = [&] {
    std::set<pid_t> left;
    for (pid_t p : tree)
      if (proc_stat(p).exists) left.insert(p);
    for (pid_t p : all_pids()) {
      const ProcStat s = proc_stat(p);
      if (s.exists && group > 0 && s.pgrp == group) left.insert(p);
    }
    return left;
  };
  while (!remaining().empty() && Clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(remaining().empty()) << remaining().size() << " scenario processes still run " << waited
                                   << " s after kill -9 of copyscope";
  EXPECT_LT(waited, 2.0) << "the tree should die with copyscope, not finish its work";
  std::printf("%s: scenario tree of %zu processes gone %.3f s after kill -9\n", method, tree.size(), waited);

  ASSERT_FALSE(tmp.entries().empty()) << "kill -9 leaves the workspace behind (nothing could remove it)";
  const Result next = shell("TMPDIR=" + tmp.path.string() + " " + bin() + " run read_write --size 1M --json");
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_TRUE(tmp.entries().empty()) << "the next run removes the stale workspace: " << tmp.entries().front();
}

TEST(Containment, KillNineLeavesNoScenarioAndTheNextRunCleansUp) {
  REQUIRE_LIVE_CAPTURE();
  kill_nine_mid_run("read_write", "2G", "4K", 2);
}

TEST(Containment, KillNineTakesTheJvmWithIt) {
  REQUIRE_LIVE_CAPTURE();
  if (std::system("command -v java >/dev/null 2>&1") != 0) GTEST_SKIP() << "no JDK here: java_mapped cannot run";
  // java_mapped writes the mapping 16 bytes at a time: minutes of work left when killed.
  kill_nine_mid_run("java_mapped", "256M", "16", 3);
}

TEST(Containment, TraceOntoAFullFilesystemKeepsTheResultAndLeavesNoPartialFile) {
  REQUIRE_LIVE_CAPTURE();
  if (std::system("command -v unshare >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs unshare (util-linux)";
  TempDir tmp, dir;
  const fs::path full = dir.path / "full", listing = dir.path / "listing";
  fs::create_directory(full);
  // A private mount namespace: the 64 KiB tmpfs disappears with it, whatever happens.
  const std::string inner = "mount -t tmpfs -o size=64k tmpfs " + full.string() + " || exit 99; " +
                            "TMPDIR=" + tmp.path.string() + " " + bin() +
                            " run read_write --size 4M --buffer 4K --json --trace " + (full / "t.json").string() +
                            "; rc=$?; ls -A " + full.string() + " > " + listing.string() + "; exit $rc";
  const Result r = shell("unshare -m --propagation private sh -c '" + inner + "'");
  if (r.exit_code == 99) GTEST_SKIP() << "cannot mount a tmpfs here: " << r.err;
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.exit_code, 1) << "an export that failed after the run is exit 1: " << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "the run's JSON result must still be printed: " << r.out.substr(0, 300);
  EXPECT_EQ(j.value("method", ""), "read_write");
  EXPECT_EQ(j.value("bytes", uint64_t{0}), 4ull << 20);
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(listing), "") << "files left on the full filesystem";
  EXPECT_TRUE(tmp.entries().empty());
}

}  // namespace

// A hostile trace replayed by an unprivileged user: 300,000 nested arrays
// once crashed the loader (stack overflow). Now one line and exit 2 (a hang
// would meet the test's timeout; the time is not asserted).
TEST(Containment, DeepNestingReplayedAsNobodyIsExit2WithinSeconds) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run copyscope as nobody (runuser)";
  if (std::system("command -v runuser >/dev/null 2>&1") != 0) GTEST_SKIP() << "runuser is not installed";
  TempDir tmp(0755);
  const fs::path trace = tmp.path / "deep.json";
  spit(trace, "{\"traceEvents\":" + std::string(300000, '[') + std::string(300000, ']') + "}");
  chmod(trace.c_str(), 0644);
  const Result r = shell("runuser -u nobody -- " + bin() + " replay " + trace.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("nested deeper than 64 levels"), std::string::npos) << r.err;
}
