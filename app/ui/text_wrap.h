// Wrapped text that breaks Chinese lines too. ImGui 1.86 breaks lines only at
// spaces, so a Chinese sentence (no spaces) ran to a space far away and then
// broke mid-word; these break between ideographs (model/line_break.h).
#pragma once

#include <string>

namespace copyscope::ui {

// `s` with '\n' where its lines end at `width` pixels in the current font.
std::string wrap_to(const std::string& s, float width);

// Like ImGui::TextWrapped: printf-formatted, wrapped at the content region's edge.
void text_wrapped(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace copyscope::ui
