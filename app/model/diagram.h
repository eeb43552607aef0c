// The textbook diagram of a run: which textbook row it is compared with, and
// what the run did along each of that row's arrows, read from the run's stages
// (model/stages.h). No ImGui: the GUI, the SVG and the tests draw from this.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/analysis.h"
#include "model/stages.h"
#include "model/textbook.h"

namespace copyscope {

// One arrow of the chosen row and what the run did along it.
struct ArrowTrack {
  std::vector<uint64_t> ts;       // times bytes moved along it, sorted
  std::vector<uint64_t> cum;      // bytes carried up to and including ts[i]
  uint64_t total = 0;             // bytes carried over the whole run: the sum of its stages
  std::vector<uint32_t> stages;   // the run's stages this arrow shows
  bool happened = true;           // false: the run shows this stage did not take place
  bool software = false;          // loopback: a software hand-off, not DMA
  bool counted = true;            // false: no byte counter stands behind it (a signal)
  Text why;                       // why it did not happen, or what it is instead
  uint64_t at(uint64_t t) const;  // bytes carried up to time t
};

struct StepHit {
  uint64_t ts;
  int step;  // index into the row's steps
};

struct DiagramState {
  const TextbookMethod* method = nullptr;
  const TextbookRow* row = nullptr;        // the row the run is compared with
  std::vector<ArrowTrack> arrows;          // parallel to row->arrows
  std::vector<StepHit> step_hits;          // sorted by ts
  std::vector<uint64_t> mode_switch_ts;    // the transfer threads' user<->kernel crossings, sorted
  std::map<std::string, Text> box_labels;  // boxes relabelled for the run's sink (box id -> label)

  int step_at(uint64_t t) const;  // index of the step the cursor is on, -1 before the first
  size_t switches_at(uint64_t t) const;
  uint64_t next_step_time(uint64_t t) const;  // t when there is none
  const Text& box_label(const DiagramBox& b) const;
};

// `finished`: the run is over, so an arrow with no bytes did not happen.
// Without a run (no events, no stages), the diagram is the textbook's own.
DiagramState build_diagram(const Run& run, const Summary& s, const StageTimeline& tl, const TextbookMethod* tb,
                           bool finished);

}  // namespace copyscope
