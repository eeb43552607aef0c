#include "ui/ui_state.h"

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

const char* L(const UiPrefs& p, const char* en, const char* zh) { return p.lang == "zh" ? zh : en; }

}  // namespace copyscope::ui
