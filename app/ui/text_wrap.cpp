#include "ui/text_wrap.h"

#include <imgui.h>

#include <cstdarg>
#include <cstdio>
#include <vector>

#include "model/line_break.h"

namespace copyscope::ui {

std::string wrap_to(const std::string& s, float width) {
  ImFont* font = ImGui::GetFont();
  const float k = ImGui::GetFontSize() / font->FontSize;
  return break_lines(s, width, [&](uint32_t c) {
    return font->GetCharAdvance(static_cast<ImWchar>(c <= 0xFFFF ? c : 0xFFFD)) * k;
  });
}

void text_wrapped(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list again;
  va_copy(again, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::vector<char> buf(static_cast<size_t>(n > 0 ? n : 0) + 1);
  std::vsnprintf(buf.data(), buf.size(), fmt, again);
  va_end(again);
  const std::string text = wrap_to(buf.data(), ImGui::GetContentRegionAvail().x);
  ImGui::TextUnformatted(text.c_str(), text.c_str() + text.size());
}

}  // namespace copyscope::ui
