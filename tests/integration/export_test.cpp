// Export and replay through the real binary: run -> --trace -> replay gives the
// same counters; bad files exit 2 with one line; CSV and report files appear.
#include <filesystem>
#include <fstream>

#include "export/trace.h"
#include "support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A fresh directory, removed with everything in it when the test ends (even on
// a failed ASSERT).
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "copyscope-export-it.XXXXXX").string();
    if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
    path = t;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::vector<std::string> available_methods() {
  json list = json::parse(run_copyscope("list --json").out, nullptr, false);
  std::vector<std::string> out;
  if (list.is_array())
    for (const auto& m : list)
      if (m.value("available", true)) out.push_back(m["name"]);
  return out;
}

// run --json --trace, then replay --json: the two summaries must be identical.
void expect_round_trip(const std::string& method) {
  SCOPED_TRACE(method);
  TempDir dir;
  const fs::path trace = dir.path / (method + ".json");
  json live = run_json("run " + method + " --size 2M --buffer 64K --cache cold --trace " + trace.string());
  ASSERT_TRUE(live.is_object());
  ASSERT_TRUE(fs::exists(trace));
  json replayed = run_json("replay " + trace.string());
  ASSERT_TRUE(replayed.is_object());
  EXPECT_EQ(replayed["counters"], live["counters"]);
  EXPECT_EQ(replayed["per_call"], live["per_call"]);
  EXPECT_EQ(replayed["sink"], live["sink"]);
  EXPECT_EQ(replayed, live) << "replay differs from the live run";
  const json doc = json::parse(slurp(trace));
  const auto problems = copyscope::check_trace_events(doc);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

}  // namespace

TEST(ExportLive, ReadWriteTraceReplaysToIdenticalCounters) {
  REQUIRE_LIVE_CAPTURE();
  expect_round_trip("read_write");
}

TEST(ExportLive, SendfileTraceReplaysToIdenticalCounters) {
  REQUIRE_LIVE_CAPTURE();
  expect_round_trip("sendfile");
}

TEST(ExportLive, EveryListedMethodRoundTrips) {
  REQUIRE_LIVE_CAPTURE();
  for (const std::string& m : available_methods())
    if (m != "read_write" && m != "sendfile") expect_round_trip(m);
}

TEST(ExportLive, CompareWritesCsvAndReports) {
  REQUIRE_LIVE_CAPTURE();
  TempDir dir;
  const fs::path d = dir.path;
  const std::string csv = (d / "runs.csv").string(), html = (d / "report.html").string();
  CommandResult r = run_copyscope("compare read_write sendfile --size 2M --json --csv " + csv + " --report " + html);
  ASSERT_EQ(r.exit_code, 0);
  const std::string text = slurp(csv);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text.substr(0, 300);
  EXPECT_EQ(text.rfind("method,", 0), 0u);
  const std::string page = slurp(html);
  EXPECT_NE(page.find("<table"), std::string::npos);
  // One self-contained page: the charts and diagrams inline, nothing beside it.
  size_t svgs = 0;
  for (size_t at = page.find("<svg"); at != std::string::npos; at = page.find("<svg", at + 1)) ++svgs;
  EXPECT_GE(svgs, 4u) << "two charts and two runs' diagrams";
  EXPECT_EQ(page.find("src="), std::string::npos);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(d)) files += e.path().filename() != "runs.csv";
  EXPECT_EQ(files, 1u) << "the report wrote files beside itself";
}

TEST(ExportCli, BadTraceFilesExitTwoWithOneLine) {
  TempDir dir;
  const fs::path d = dir.path;
  const fs::path garbage = d / "garbage.json", empty = d / "empty.json", cut = d / "cut.json";
  std::ofstream(garbage) << "\x01\x02 this is not a trace {{{";
  std::ofstream(empty) << "";
  const std::string recording = slurp(fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings" / "read_write.json");
  std::ofstream(cut) << recording.substr(0, recording.size() / 3);
  for (const fs::path& p : {garbage, empty, cut, d / "missing.json", d}) {
    for (const char* json_flag : {"", " --json"}) {
      CommandResult r = run_copyscope_stderr("replay " + p.string() + json_flag);
      EXPECT_EQ(r.exit_code, 2) << p;
      EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
      EXPECT_NE(r.out.find(p.string()), std::string::npos) << r.out;
    }
  }
}

TEST(ExportCli, RecordingsReplayWithoutPrivileges) {
  const fs::path dir = fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings";
  ASSERT_TRUE(fs::exists(dir / "read_write.json"));
  ASSERT_TRUE(fs::exists(dir / "sendfile.json"));
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    json replayed = run_json("replay " + entry.path().string());
    ASSERT_TRUE(replayed.is_object());
    // Every figure stored at recording time comes back (newer builds may add more).
    const json stored = json::parse(slurp(entry.path()))["copyscope"]["summary"];
    for (const char* part : {"counters", "per_call"})
      for (const auto& [key, value] : stored[part].items()) EXPECT_EQ(replayed[part][key], value) << part << "." << key;
    EXPECT_EQ(replayed["method"], entry.path().stem().string());
  }
}

TEST(ExportCli, UnwritableExportPathsFailBeforeRunning) {
  CommandResult r = run_copyscope_stderr("run read_write --size 1M --trace /nonexistent-dir/t.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/nonexistent-dir"), std::string::npos) << r.out;
  r = run_copyscope_stderr("run read_write --size 1M --report /tmp/report.pdf");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find(".md or .html"), std::string::npos) << r.out;
}
