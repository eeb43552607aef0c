// A tiny software rasteriser for report charts: filled rectangles, lines and
// text (stb_easy_font's segment font) on an RGB canvas, saved as PNG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/palette.h"

namespace copyscope {

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = {255, 255, 255});
  int width() const { return w_; }
  int height() const { return h_; }

  void fill_rect(double x0, double y0, double x1, double y1, Rgb c);  // clipped, any corner order
  void frame_rect(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  void line(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  // Text with its top-left at (x, y); scale 1 is about 7 px tall. The font is
  // ASCII: "µ" (of "µs") is drawn as "u", anything else outside it is skipped.
  void text(double x, double y, const std::string& s, Rgb c, int scale = 2);
  static int text_width(const std::string& s, int scale = 2);

  Rgb at(int x, int y) const;
  std::string png() const;  // the encoded file, in memory
  // Through an OutputFile (a planted symlink at `path` is replaced, never
  // followed). Throws std::runtime_error when the file cannot be written.
  void save_png(const std::string& path) const;

 private:
  int w_, h_;
  std::vector<uint8_t> px_;
};

}  // namespace copyscope
