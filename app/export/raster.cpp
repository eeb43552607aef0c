#include "export/raster.h"

#include <stb/stb_easy_font.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "export/output_file.h"

namespace copyscope {

Canvas::Canvas(int width, int height, Rgb bg) : w_(width), h_(height), px_(static_cast<size_t>(width) * height * 3) {
  for (size_t i = 0; i < px_.size(); i += 3) {
    px_[i] = bg.r;
    px_[i + 1] = bg.g;
    px_[i + 2] = bg.b;
  }
}

void Canvas::fill_rect(double x0, double y0, double x1, double y1, Rgb c) {
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  const int xa = std::max(0, static_cast<int>(std::lround(x0))), xb = std::min(w_, static_cast<int>(std::lround(x1)));
  const int ya = std::max(0, static_cast<int>(std::lround(y0))), yb = std::min(h_, static_cast<int>(std::lround(y1)));
  for (int y = ya; y < yb; ++y)
    for (int x = xa; x < xb; ++x) {
      uint8_t* p = &px_[(static_cast<size_t>(y) * w_ + x) * 3];
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
}

void Canvas::frame_rect(double x0, double y0, double x1, double y1, Rgb c, int t) {
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  fill_rect(x0, y0, x1, y0 + t, c);
  fill_rect(x0, y1 - t, x1, y1, c);
  fill_rect(x0, y0, x0 + t, y1, c);
  fill_rect(x1 - t, y0, x1, y1, c);
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, int t) {
  const double len = std::max(std::fabs(x1 - x0), std::fabs(y1 - y0));
  const int steps = std::max(1, static_cast<int>(std::ceil(len)));
  const double half = t / 2.0;
  for (int i = 0; i <= steps; ++i) {
    const double x = x0 + (x1 - x0) * i / steps, y = y0 + (y1 - y0) * i / steps;
    fill_rect(x - half, y - half, x + half, y + half, c);
  }
}

namespace {

struct FontVertex {
  float x, y, z;
  unsigned char color[4];
};

// What stb_easy_font can draw: printable ASCII.
std::string ascii(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto ch = static_cast<unsigned char>(s[i]);
    if (ch == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xb5) {  // U+00B5 micro sign
      out += 'u';
      ++i;
    } else if (ch >= 0x20 && ch < 0x7f) {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

}  // namespace

void Canvas::text(double x, double y, const std::string& s, Rgb c, int scale) {
  std::string copy = ascii(s);
  std::vector<FontVertex> buf(copy.size() * 300 + 64);
  unsigned char white[4] = {255, 255, 255, 255};
  const int quads =
      stb_easy_font_print(0, 0, copy.data(), white, buf.data(), static_cast<int>(buf.size() * sizeof(FontVertex)));
  for (int q = 0; q < quads; ++q) {
    const FontVertex* v = &buf[static_cast<size_t>(q) * 4];
    fill_rect(x + v[0].x * scale, y + v[0].y * scale, x + v[2].x * scale, y + v[2].y * scale, c);
  }
}

int Canvas::text_width(const std::string& s, int scale) {
  std::string copy = ascii(s);
  return stb_easy_font_width(copy.data()) * scale;
}

Rgb Canvas::at(int x, int y) const {
  const uint8_t* p = &px_[(static_cast<size_t>(y) * w_ + x) * 3];
  return {p[0], p[1], p[2]};
}

std::string Canvas::png() const {
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &out, w_, h_, 3, px_.data(), w_ * 3))
    throw std::runtime_error("cannot encode a " + std::to_string(w_) + "x" + std::to_string(h_) + " PNG");
  return out;
}

void Canvas::save_png(const std::string& path) const { write_output(path, png(), "image"); }

}  // namespace copyscope
