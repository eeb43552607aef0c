#include "ui/layout_check.h"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstdio>

namespace copyscope::ui {

namespace {

constexpr float kSlack = 1.5f;  // rounding of positions to pixels

// "copyscope/panel_1A2B3C4D" -> "panel": the child's own name, not ImGui's path.
std::string short_name(const char* name) {
  std::string s = name ? name : "";
  if (const size_t slash = s.rfind('/'); slash != std::string::npos) s = s.substr(slash + 1);
  if (const size_t us = s.rfind('_'); us != std::string::npos && s.size() - us == 9) s.resize(us);
  if (const size_t hash = s.find("##"); hash != std::string::npos) s = s.substr(hash + 2);
  return s.empty() ? "(window)" : s;
}

std::string line(const std::string& what, const char* measure, float need, float have) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s: items %.0f px %s in %.0f px", what.c_str(), need, measure, have);
  return buf;
}

}  // namespace

LayoutCheck check_layout() {
  LayoutCheck out;
  ImGuiContext& g = *GImGui;
  for (ImGuiWindow* w : g.Windows) {
    if (!w->WasActive || w->Hidden || (w->Flags & ImGuiWindowFlags_Tooltip)) continue;
    const std::string name = short_name(w->Name);
    const ImRect clip = w->InnerClipRect;
    // The cursor's reach this frame, where the window's scroll is 0 (it never scrolls in a screenshot).
    const float right = w->DC.CursorMaxPos.x, bottom = w->DC.CursorMaxPos.y;
    if (right > clip.Max.x + kSlack) {
      (w->ScrollbarX ? out.scrolls : out.clipped)
          .push_back(line(name, "wide", right - w->DC.CursorStartPos.x, clip.Max.x - w->DC.CursorStartPos.x));
    }
    if (bottom > clip.Max.y + kSlack) {
      const bool can_scroll = !(w->Flags & ImGuiWindowFlags_NoScrollbar) || !(w->Flags & ImGuiWindowFlags_NoScrollWithMouse);
      (can_scroll ? out.scrolls : out.clipped)
          .push_back(line(name, "tall", bottom - w->DC.CursorStartPos.y, clip.Max.y - w->DC.CursorStartPos.y));
    }
  }
  for (int n = 0; n < g.Tables.GetMapSize(); ++n) {
    const ImGuiTable* t = g.Tables.TryGetMapData(n);
    if (!t || t->LastFrameActive < g.FrameCount - 1 || !t->OuterWindow) continue;
    const std::string table = short_name(t->OuterWindow->Name) + " table";
    for (int c = 0; c < t->ColumnsCount; ++c) {
      const ImGuiTableColumn& col = t->Columns[c];
      if (!col.IsEnabled || !col.IsVisibleX) continue;
      const float reach = std::max({col.ContentMaxXFrozen, col.ContentMaxXUnfrozen, col.ContentMaxXHeadersIdeal});
      // Against the column's own right edge: a column the table scrolls out of view is not clipped.
      if (reach > col.MaxX + kSlack) {
        const char* label = t->ColumnsNames.Buf.Size && col.NameOffset >= 0 ? t->ColumnsNames.c_str() + col.NameOffset : "";
        out.clipped.push_back(line(table + " column " + std::to_string(c) + (*label ? std::string(" '") + label + "'" : ""),
                                   "wide", reach - col.WorkMinX, col.MaxX - col.WorkMinX));
      }
    }
  }
  return out;
}

}  // namespace copyscope::ui
