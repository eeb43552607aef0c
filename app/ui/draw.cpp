#include "ui/draw.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <deque>

namespace copyscope::ui {

unsigned int col(Rgb c, int alpha) { return IM_COL32(c.r, c.g, c.b, alpha); }

namespace {

struct OpaqueRect {
  ImVec2 a, b;
  ImVec4 color;
};

// Runs inside ImGui_ImplOpenGL3_RenderDrawData, in draw order: the backend has
// the scissor test on and sets its own scissor again for the next command.
void clear_rect_callback(const ImDrawList*, const ImDrawCmd* cmd) {
  const auto* q = static_cast<const OpaqueRect*>(cmd->UserCallbackData);
  const ImDrawData* dd = ImGui::GetDrawData();
  const ImVec2 off = dd->DisplayPos, scale = dd->FramebufferScale;
  auto px = [](float v) { return static_cast<int>(std::lround(v)); };
  const int x0 = px((std::max(q->a.x, cmd->ClipRect.x) - off.x) * scale.x);
  const int y0 = px((std::max(q->a.y, cmd->ClipRect.y) - off.y) * scale.y);
  const int x1 = px((std::min(q->b.x, cmd->ClipRect.z) - off.x) * scale.x);
  const int y1 = px((std::min(q->b.y, cmd->ClipRect.w) - off.y) * scale.y);
  if (x1 <= x0 || y1 <= y0) return;
  const int fb_h = px(dd->DisplaySize.y * scale.y);
  glScissor(x0, fb_h - y1, x1 - x0, y1 - y0);
  glClearColor(q->color.x, q->color.y, q->color.z, 1);
  glClear(GL_COLOR_BUFFER_BIT);
}

}  // namespace

void fill_opaque_rect(ImDrawList* dl, ImVec2 a, ImVec2 b, unsigned int color) {
  if ((color >> IM_COL32_A_SHIFT & 0xff) != 0xff) {
    dl->AddRectFilled(a, b, color);
    return;
  }
  // Kept until the frame after the one that draws them.
  static std::deque<OpaqueRect> pool;
  static int frame = -1;
  if (frame != ImGui::GetFrameCount()) {
    pool.clear();
    frame = ImGui::GetFrameCount();
  }
  pool.push_back({a, b, ImGui::ColorConvertU32ToFloat4(color)});
  dl->AddCallback(clear_rect_callback, &pool.back());
}

void end_child_border(float rounding) {
  ImGui::GetWindowDrawList()->AddRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(),
                                      ImGui::GetColorU32(ImGuiCol_Border), rounding, 0,
                                      std::max(1.0f, ImGui::GetStyle().ChildBorderSize));
}

}  // namespace copyscope::ui
