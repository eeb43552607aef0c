// Where a paragraph breaks into lines of at most `width`: at spaces for Latin
// text, and between any two ideographs for Chinese (which has no spaces), but
// never before a closing mark (，。、：；！？）》」』 ...) nor after an opening
// one (（《「『 ...), so no line starts with a comma. A word longer than a line
// breaks where it must. Pure: the caller says how wide each character is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace copyscope {

// `text` with '\n' where its lines end (the spaces at a break are dropped).
// Existing '\n' stay. Invalid UTF-8 bytes count as one character each.
std::string break_lines(std::string_view text, float width, const std::function<float(uint32_t)>& advance);

}  // namespace copyscope
