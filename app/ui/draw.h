// Drawing helpers the panels share, over ImGui's draw lists.
#pragma once

#include "model/palette.h"

struct ImDrawList;
struct ImVec2;

namespace copyscope::ui {

// A palette colour (model/palette.h) as ImGui packs it.
unsigned int col(Rgb c, int alpha = 255);
// An opaque rectangle drawn as a scissored clear, in draw order: large fills
// cost a software renderer (llvmpipe) far more as blended triangles. Colours
// that are not opaque fall back to AddRectFilled.
void fill_opaque_rect(ImDrawList* dl, ImVec2 a, ImVec2 b, unsigned int color);
// After EndChild() of a child begun with ImGuiWindowFlags_NoBackground (which
// also drops ImGui's own border): draws its border in the parent.
void end_child_border(float rounding);

}  // namespace copyscope::ui
