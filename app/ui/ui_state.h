// Preferences of the window: a plain struct, apart from the data it shows.
#pragma once

#include <string>

#include "model/i18n.h"

namespace copyscope::ui {

enum class Panel { DataPath, Plots, Timeline, Compare, Export };

const char* panel_id(Panel p);  // "datapath", ...
bool panel_from_id(const std::string& id, Panel* out);

struct UiPrefs {
  std::string lang = "en";     // en | zh
  std::string theme = "dark";  // dark | light
  bool classroom = false;      // large fonts (and the light theme when switched on)
  bool sidebar = true;         // the Scenario pane; hidden to give a small classroom screen to the diagram
  Panel panel = Panel::DataPath;
  float speed = 0.2f;  // replay speed; 1x plays the whole transfer in kReplaySeconds
  bool playing = false;
  bool follow_live = true;  // during a live run the cursor follows the newest event
};

// A replay at 1x shows the whole transfer phase in this many seconds: real
// transfers last milliseconds, far too fast to watch.
constexpr double kReplaySeconds = 10.0;

// Every literal of the UI goes through here: `en` is the msgid of the
// catalogue (assets/i18n/zh.json), translated when the window speaks Chinese.
inline Lang lang(const UiPrefs& p) { return lang_from(p.lang); }
inline const char* tr(const UiPrefs& p, const char* en) { return copyscope::tr(lang(p), en); }
inline const std::string& tr(const UiPrefs& p, const std::string& en) { return copyscope::tr(lang(p), en); }
template <class... A>
std::string trf(const UiPrefs& p, const char* fmt, const A&... args) {
  return copyscope::trf(lang(p), fmt, args...);
}

// The text size in pixels for a window of w x h screen units on a monitor whose
// content scale (DPI / 96) is `scale`. Normal: 18 px at scale 1. Classroom:
// as large as the window allows (26 px at 1600x900, 31 at 1920x1080), never
// so large that the data path and its buttons stop fitting (21 px at 1280x720).
float font_px(bool classroom, int w, int h, float scale);

}  // namespace copyscope::ui
