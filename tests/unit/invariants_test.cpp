// One truth per event: over every bundled recording and every textbook row,
// what the model decided (stages, placed in time, drawn on the diagram) agrees
// with the exact counters, and every exporter shows that same answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "export/csv.h"
#include "export/trace.h"
#include "model/analysis.h"
#include "model/diagram.h"
#include "model/stages.h"
#include "model/synthetic.h"
#include "model/textbook.h"
#include "recordings.h"

using namespace copyscope;
using nlohmann::json;

namespace {

std::map<StageKind, uint64_t> sums(const std::vector<Stage>& stages) {
  std::map<StageKind, uint64_t> m;
  for (const Stage& st : stages) m[st.kind] += st.bytes;
  return m;
}

struct Loaded {
  std::string name;
  Run run;
  Summary summary;
};

const std::vector<Loaded>& loaded() {
  static const std::vector<Loaded> all = [] {
    std::vector<Loaded> v;
    for (const std::string& path : recordings()) {
      Loaded l;
      l.name = std::filesystem::path(path).stem().string();
      l.run = load_trace(path);
      sort_events(l.run.events);
      l.summary = summarize(l.run, Textbook::builtin().find(l.run.params.method));
      v.push_back(std::move(l));
    }
    return v;
  }();
  return all;
}

// The checks every run must pass, recorded or synthetic. `real`: the run was
// made by the method it names, so its diagram must fit what it moved.
void check_run(const std::string& name, const Run& run, const Summary& s, bool real = true) {
  SCOPED_TRACE(name);
  const Counts& c = s.counters;
  auto m = sums(s.stages);
  EXPECT_EQ(m[StageKind::CpuCopy], c.cpu_copy_bytes);
  EXPECT_EQ(m[StageKind::Dma], c.dma_bytes);
  EXPECT_EQ(m[StageKind::Handoff], c.loopback_bytes);
  const uint64_t file = std::max(run.params.size, s.bytes);
  for (const Stage& st : s.stages) {
    EXPECT_GT(st.bytes, 0u) << st.from << " -> " << st.to;
    EXPECT_FALSE(st.rule.empty());
    if (st.kind == StageKind::PageRef) EXPECT_LE(st.bytes, file) << st.from << " -> " << st.to;
  }

  // Placed in time, each stage's points add up to it.
  const StageTimeline tl = place_stages(run, s.stages);
  std::vector<uint64_t> placed(s.stages.size(), 0);
  for (size_t i = 0; i < tl.points.size(); ++i) {
    ASSERT_LT(tl.points[i].stage, s.stages.size());
    placed[tl.points[i].stage] += tl.points[i].bytes;
    if (i) EXPECT_LE(tl.points[i - 1].ts, tl.points[i].ts);
  }
  for (size_t k = 0; k < s.stages.size(); ++k) EXPECT_EQ(placed[k], s.stages[k].bytes) << "stage " << k;

  // The diagram: an arrow happened exactly when its stages carried bytes, its
  // bytes are theirs, and no stage is drawn on two arrows of one kind.
  const TextbookMethod* tb = Textbook::builtin().find(run.params.method);
  ASSERT_NE(tb, nullptr);
  const DiagramState d = build_diagram(run, s, tl, tb, true);
  ASSERT_NE(d.row, nullptr);
  EXPECT_EQ(d.row->id, s.row_id);
  std::map<uint32_t, int> drawn;
  bool cpu_arrow_drawn = false, cpu_arrow = false;
  for (size_t i = 0; i < d.arrows.size(); ++i) {
    const ArrowTrack& t = d.arrows[i];
    const DiagramArrow& a = d.row->arrows[i];
    uint64_t total = 0;
    for (uint32_t k : t.stages) {
      total += s.stages[k].bytes;
      ++drawn[k];
    }
    EXPECT_EQ(t.total, total) << a.from << " -> " << a.to;
    if (a.kind != "signal") EXPECT_EQ(t.happened, total > 0) << a.from << " -> " << a.to << ": " << t.why.en;
    if (!t.happened) EXPECT_FALSE(t.why.empty()) << a.from << " -> " << a.to;
    if (!t.cum.empty()) EXPECT_EQ(t.cum.back(), t.total);
    // What an arrow carries is at most what the run moved (headers and
    // readahead may add a few percent; a file smaller than a page moves a page).
    // Loopback hand-offs are whole packets: headers and TCP retransmissions
    // (seen now and then on a busy loopback) may add more, but not a second copy.
    const bool handoff_only = !t.stages.empty() && std::all_of(t.stages.begin(), t.stages.end(), [&](uint32_t k) {
      return s.stages[k].kind == StageKind::Handoff;
    });
    const uint64_t slack = handoff_only ? file / 2 : file / 20;
    if (real) EXPECT_LE(t.total, file + slack + 4096) << a.from << " -> " << a.to;
    if (a.kind == "cpu") {
      cpu_arrow = true;
      cpu_arrow_drawn |= t.happened;
    }
  }
  for (const auto& [k, n] : drawn) EXPECT_EQ(n, 1) << "stage " << k << " is drawn on " << n << " arrows";
  // "Did not happen" never sits beside copies the counters saw on that path.
  if (real && cpu_arrow && s.per_call.cpu_copies >= 0.5) EXPECT_TRUE(cpu_arrow_drawn);

  // Exports read the same answer.
  const json j = to_json(s);
  uint64_t cpu = 0, dma = 0, handoff = 0, refs = 0;
  for (const json& st : j.at("stages")) {
    const std::string kind = st.at("kind");
    (kind == "cpu_copy"  ? cpu
     : kind == "dma"     ? dma
     : kind == "handoff" ? handoff
                         : refs) += st.at("bytes").get<uint64_t>();
  }
  EXPECT_EQ(refs, m[StageKind::PageRef]);
  EXPECT_EQ(cpu, j["counters"]["cpu_copy_bytes"].get<uint64_t>());
  EXPECT_EQ(dma, j["counters"]["dma_bytes"].get<uint64_t>());
  EXPECT_EQ(handoff, j["counters"]["loopback_handoff_bytes"].get<uint64_t>());

  const json trace = trace_to_json(run, s);
  json last;
  for (const json& e : trace["traceEvents"])
    if (e.value("ph", "") == "C" && e.value("name", "") == "bytes moved") last = e["args"];
  if (!s.stages.empty()) {
    ASSERT_TRUE(last.is_object());
    EXPECT_EQ(last["cpu_copy"].get<uint64_t>(), c.cpu_copy_bytes);
    EXPECT_EQ(last["dma"].get<uint64_t>(), c.dma_bytes);
    EXPECT_EQ(last["loopback_handoff"].get<uint64_t>(), c.loopback_bytes);
  }

  const std::vector<std::string> header = csv_header(), row = csv_row(s);
  auto col = [&](const std::string& name) -> std::string {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return row[i];
    return "missing";
  };
  EXPECT_EQ(col("stages.cpu_copy_bytes"), col("counters.cpu_copy_bytes"));
  EXPECT_EQ(col("stages.dma_bytes"), col("counters.dma_bytes"));
  EXPECT_EQ(col("stages.handoff_bytes"), col("counters.loopback_handoff_bytes"));
}

}  // namespace

TEST(Invariants, EveryMethodHasARecording) {
  std::set<std::string> have;
  for (const Loaded& l : loaded()) have.insert(l.run.params.method);
  for (const TextbookMethod& m : Textbook::builtin().methods()) EXPECT_TRUE(have.count(m.name)) << m.name;
}

TEST(Invariants, RecordingsCarryStagesThatEqualTheirCounters) {
  for (const std::string& path : recordings()) {
    SCOPED_TRACE(path);
    std::ifstream in(path);
    const json doc = json::parse(in);
    const json& stages = doc["copyscope"]["summary"]["stages"];
    ASSERT_TRUE(stages.is_array()) << "recorded without stages: re-record (scripts/make-recordings.sh)";
    std::map<std::string, uint64_t> m;
    for (const json& st : stages) m[st.at("kind")] += st.at("bytes").get<uint64_t>();
    const json& c = doc["copyscope"]["summary"]["counters"];
    EXPECT_EQ(m["cpu_copy"], c["cpu_copy_bytes"].get<uint64_t>());
    EXPECT_EQ(m["dma"], c["dma_bytes"].get<uint64_t>());
    EXPECT_EQ(m["handoff"], c["loopback_handoff_bytes"].get<uint64_t>());
  }
}

TEST(Invariants, EveryRecordingAgreesWithItself) {
  ASSERT_FALSE(loaded().empty());
  for (const Loaded& l : loaded()) check_run(l.name, l.run, l.summary);
}

TEST(Invariants, SyntheticRunsOfEveryRowAgree) {
  // The same bookkeeping on runs no kernel made: every method's rows over a
  // read+write shaped run, with and without scatter-gather.
  for (const TextbookMethod& m : Textbook::builtin().methods())
    for (int sg : {0, 1}) {
      copyscope::Run r = make_synthetic_run(4000);
      r.params.method = m.name;
      r.kernel.nic_sg = sg;
      check_run(m.name + (sg ? " sg" : " no-sg"), r, summarize(r, &m), false);
    }
}

TEST(Invariants, StepNumbersAreUniqueAndOrdered) {
  for (const TextbookMethod& m : Textbook::builtin().methods())
    for (const TextbookRow& row : m.rows) {
      SCOPED_TRACE(m.name + "/" + row.id);
      for (size_t i = 0; i < row.steps.size(); ++i) EXPECT_EQ(row.steps[i].n, static_cast<int>(i) + 1);
      std::set<int> seen;
      for (const DiagramArrow& a : row.arrows) {
        EXPECT_TRUE(seen.insert(a.step).second) << "step " << a.step << " numbers two arrows";
        EXPECT_GE(a.step, 1);
        EXPECT_LE(a.step, static_cast<int>(row.steps.size()));
        EXPECT_NE(m.find_box(a.from), nullptr) << a.from;
        EXPECT_NE(m.find_box(a.to), nullptr) << a.to;
      }
    }
}

// The articles' sendfile rows: the device picks one, and the diagram draws it.
TEST(Invariants, SendfileRowFollowsScatterGather) {
  for (const char* method : {"sendfile", "java_transferto"}) {
    for (const Loaded& l : loaded()) {
      if (l.run.params.method != method) continue;
      EXPECT_EQ(l.summary.row_id, "sg_gather") << method;
      for (const Deviation& dv : l.summary.deviations) EXPECT_NE(dv.what, "cpu_copies") << method << ": " << dv.why.en;
    }
  }
}

// Where the copy routines are measured (the lab VM), copy-on-write copies are
// still made in the fault handler, which no hook covers: they stay counted from
// the faults, in the counters and in their stage (the lab VM's table showed
// cow_fork with 16 bytes copied before this).
TEST(Invariants, CopyOnWriteCopiesCountWhereCopiesAreMeasured) {
  copyscope::Run run = load_trace(std::string(COPYSCOPE_SOURCE_ASSETS) + "/recordings/cow_fork.json");
  auto cow_bytes = [](const Summary& s, const std::string& accounting) {
    uint64_t n = 0;
    for (const Stage& st : s.stages)
      if (st.kind == StageKind::CpuCopy && st.from == "shared_page") {
        n += st.bytes;
        EXPECT_EQ(st.accounting, accounting);
      }
    return n;
  };
  const Summary attributed = summarize(run, Textbook::builtin().find("cow_fork"));
  const uint64_t cow = cow_bytes(attributed, "attributed");
  ASSERT_GT(cow, 0u);
  run.kernel.copy_accounting = "measured";
  run.measured_copies.clear();  // the copy routines saw nothing: the faults copied
  const Summary measured = summarize(run, Textbook::builtin().find("cow_fork"));
  EXPECT_EQ(measured.counters.cpu_copy_bytes, cow);
  EXPECT_EQ(cow_bytes(measured, "attributed"), cow);
}
