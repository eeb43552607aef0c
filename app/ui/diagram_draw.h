// The data-path diagram as the Data path and Compare panels draw it.
#pragma once

#include <imgui.h>

#include <string>
#include <vector>

#include "ui/app.h"

namespace copyscope::ui {

// The data-path diagram of one run (or of the textbook alone, r null) in the
// rectangle at `o`, W x dh: bands, boxes, arrows with what moved by `cursor`,
// the mode-switch marks. The Data path panel draws one; Compare draws two or
// three side by side.
struct DiagramDrawn {
  int cur_step = -1;                     // the row's step the cursor is in
  std::vector<std::string> ghost_notes;  // textbook stages this run did not perform, and why
};
DiagramDrawn draw_diagram(const App& app, ImDrawList* dl, ImVec2 o, float W, float dh, const TextbookMethod& method,
                          const DiagramState& state, const SessionRun* r, uint64_t cursor);

}  // namespace copyscope::ui
