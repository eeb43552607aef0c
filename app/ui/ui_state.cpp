#include "ui/ui_state.h"

#include <algorithm>
#include <cmath>

namespace copyscope::ui {

const char* panel_id(Panel p) {
  switch (p) {
    case Panel::DataPath:
      return "datapath";
    case Panel::Plots:
      return "plots";
    case Panel::Timeline:
      return "timeline";
    case Panel::Compare:
      return "compare";
    case Panel::Export:
      return "export";
  }
  return "datapath";
}

bool panel_from_id(const std::string& id, Panel* out) {
  for (Panel p : {Panel::DataPath, Panel::Plots, Panel::Timeline, Panel::Compare, Panel::Export})
    if (id == panel_id(p)) {
      *out = p;
      return true;
    }
  return false;
}


float font_px(bool classroom, int w, int h, float scale) {
  scale = std::clamp(scale > 0 ? scale : 1.0f, 1.0f, 4.0f);
  const float normal = 18.0f * scale;
  // What fits: about 35 lines of text in the height, 49 ems in the width.
  const float fits = std::min(static_cast<float>(h) / 34.6f, static_cast<float>(w) / 49.0f);
  const float px = classroom ? std::max(normal, fits) : std::min(normal, std::max(14.0f, fits * 1.3f));
  return std::round(px);
}

}  // namespace copyscope::ui
