// The streamed trace writer (issue 23): the file it writes is the text of the
// document tree trace_to_json() builds, parses, and has what trace viewers
// (Perfetto, chrome://tracing) and replay need. No BPF, no display.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "export/output_file.h"
#include "export/trace.h"
#include "model/synthetic.h"
#include "model/textbook.h"
#include "recordings.h"

using namespace copyscope;
using nlohmann::json;

namespace {

Summary summary_of(const Run& r) { return summarize(r, Textbook::builtin().find(r.params.method)); }

std::string streamed(const Run& r, const Summary& s) {
  std::string text;
  write_trace(r, s, [&text](std::string_view block) { text.append(block); });
  return text;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("copyscope-stream-" + std::to_string(getpid()) + "-" + name))
      .string();
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST(TraceStream, SameTextAsTheDocumentTreeForEveryRecording) {
  const std::vector<std::string> paths = recordings();
  ASSERT_FALSE(paths.empty());
  for (const std::string& path : paths) {
    const copyscope::Run r = load_trace(path);
    const Summary s = summary_of(r);
    EXPECT_EQ(streamed(r, s), trace_to_json(r, s).dump() + "\n") << path;
  }
}

TEST(TraceStream, SameTextAsTheDocumentTreeForSyntheticRuns) {
  for (size_t n : {0, 1, 1000, 50000}) {
    const copyscope::Run r = make_synthetic_run(n);
    const Summary s = summary_of(r);
    EXPECT_EQ(streamed(r, s), trace_to_json(r, s).dump() + "\n") << n << " events";
  }
}

TEST(TraceStream, TheFileParsesAndHasWhatPerfettoNeeds) {
  const copyscope::Run r = make_synthetic_run(20000);
  const Summary s = summary_of(r);
  const std::string path = temp_path("perfetto.json");
  write_trace(r, s, path);
  const json doc = json::parse(read_file(path));
  EXPECT_TRUE(check_trace_events(doc).empty());
  ASSERT_TRUE(doc["traceEvents"].is_array());
  EXPECT_EQ(doc["displayTimeUnit"], "ns");
  std::set<std::string> phases;
  for (const json& e : doc["traceEvents"]) {
    ASSERT_TRUE(e.is_object());
    for (const char* k : {"ph", "pid", "tid", "ts"}) EXPECT_TRUE(e.contains(k)) << k << " in " << e.dump();
    const std::string ph = e["ph"];
    phases.insert(ph);
    if (ph != "M") EXPECT_TRUE(e["name"].is_string()) << e.dump();
    if (ph == "X") EXPECT_GE(e["dur"].get<double>(), 0) << e.dump();
    if (ph == "C") EXPECT_TRUE(e["args"].is_object() && !e["args"].empty()) << e.dump();
  }
  for (const char* ph : {"M", "X", "C", "i"}) EXPECT_TRUE(phases.count(ph)) << ph;
  const json& cs = doc["copyscope"];
  EXPECT_EQ(cs["format"], kTraceFormat);
  ASSERT_EQ(cs["event_fields"].size(), kTraceEventFieldCount);
  ASSERT_EQ(cs["events"].size(), r.events.size());
  for (const char* k : {"sys", "fd", "type"}) EXPECT_TRUE(cs["enums"][k].is_array()) << k;
  EXPECT_EQ(cs["summary"], to_json(s));
  // And replay reads back the same run.
  const copyscope::Run back = load_trace(path);
  ASSERT_EQ(back.events.size(), r.events.size());
  for (size_t i = 0; i < r.events.size(); ++i)
    ASSERT_EQ(std::memcmp(&back.events[i], &r.events[i], sizeof(Event)), 0) << "event " << i;
  std::filesystem::remove(path);
}

TEST(TraceStream, AFailedWriteLeavesNoFile) {
  const copyscope::Run r = make_synthetic_run(100);
  const Summary s = summary_of(r);
  const std::string path = temp_path("failed.json");
  {
    OutputFile out(path, "trace");
    write_trace(r, s, out);
    // not committed: as when the writer throws half way
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
    EXPECT_EQ(e.path().filename().string().find("copyscope-stream-" + std::to_string(getpid()) + "-failed"),
              std::string::npos)
        << e.path();
}
