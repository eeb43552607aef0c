// After a frame: what did not fit. Each window whose items reach past its
// right edge (a window can scroll down, never sideways here), each window
// that cannot scroll and whose items reach past its bottom, and each table
// cell whose text runs past its column. One line each, for the tests that
// render every panel at classroom sizes (gui --regions writes them).
#pragma once

#include <string>
#include <vector>

namespace copyscope::ui {

struct LayoutCheck {
  std::vector<std::string> clipped;  // "panel: items 1402 px wide in 1180 px"
  std::vector<std::string> scrolls;  // windows that need a vertical scrollbar (allowed, reported)
};

// Reads ImGui's state of the frame just ended (between EndFrame/Render and the next NewFrame).
LayoutCheck check_layout();

}  // namespace copyscope::ui
