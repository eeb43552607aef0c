// Data path: the method's textbook diagram with what the run did along it.
// CPU-copy arrows are drawn in palette::kCpuCopy only when the run copied
// bytes along them; a textbook copy that did not happen is ghosted, struck
// out and explained.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "model/format.h"
#include "ui/app.h"
#include "ui/diagram_draw.h"
#include "ui/draw.h"
#include "ui/text_wrap.h"

namespace copyscope::ui {

namespace {

struct BoxGeom {
  ImVec2 c, half;
};

// Where the segment from a's centre towards b leaves a's rectangle.
ImVec2 edge_point(const BoxGeom& a, ImVec2 towards) {
  const float dx = towards.x - a.c.x, dy = towards.y - a.c.y;
  float t = 1e9f;
  if (std::fabs(dx) > 1e-3f) t = std::min(t, a.half.x / std::fabs(dx));
  if (std::fabs(dy) > 1e-3f) t = std::min(t, a.half.y / std::fabs(dy));
  return ImVec2(a.c.x + dx * t, a.c.y + dy * t);
}

void dashed(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 c, float th, float dash) {
  const float len = std::hypot(b.x - a.x, b.y - a.y);
  if (len < 1) return;
  const ImVec2 d((b.x - a.x) / len, (b.y - a.y) / len);
  for (float s = 0; s < len; s += dash * 2) {
    const float e = std::min(len, s + dash);
    dl->AddLine(ImVec2(a.x + d.x * s, a.y + d.y * s), ImVec2(a.x + d.x * e, a.y + d.y * e), c, th);
  }
}

void arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 c, float th, bool dash, float head) {
  const float len = std::hypot(b.x - a.x, b.y - a.y);
  if (len < 1) return;
  const ImVec2 d((b.x - a.x) / len, (b.y - a.y) / len), n(-d.y, d.x);
  const ImVec2 base(b.x - d.x * head, b.y - d.y * head);
  if (dash)
    dashed(dl, a, base, c, th, head * 0.6f);
  else
    dl->AddLine(a, base, c, th);
  dl->AddTriangleFilled(b, ImVec2(base.x + n.x * head * 0.55f, base.y + n.y * head * 0.55f),
                        ImVec2(base.x - n.x * head * 0.55f, base.y - n.y * head * 0.55f), c);
}

}  // namespace

DiagramDrawn draw_diagram(const App& app, ImDrawList* dl, ImVec2 o, float W, float dh, const TextbookMethod& method,
                          const DiagramState& state, const SessionRun* r, uint64_t cursor) {
  const UiPrefs& p = app.prefs;
  const TextbookMethod* tb = &method;
  const DiagramState* view = &state;
  const TextbookRow& row = *view->row;
  const bool light = light_theme(app);
  const float fs = ImGui::GetFontSize();
  DiagramDrawn drawn;
  const char* band_en[] = {N_("User space"), N_("Kernel space"), N_("Hardware")};
  const ImU32 band_bg[] = {light ? IM_COL32(232, 242, 232, 255) : IM_COL32(34, 48, 38, 255),
                           light ? IM_COL32(236, 236, 248, 255) : IM_COL32(36, 38, 58, 255),
                           light ? IM_COL32(246, 238, 228, 255) : IM_COL32(52, 42, 34, 255)};
  const ImU32 text_col = ImGui::GetColorU32(ImGuiCol_Text);
  const ImU32 dim_col = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  const float band_h = dh / 3;
  float label_w = 0;
  for (int b = 0; b < 3; ++b) label_w = std::max(label_w, ImGui::CalcTextSize(tr(p, band_en[b])).x);
  label_w += fs;
  // Narrow (side by side in Compare): the band names sit in the bands' top-left
  // corners above the boxes, so the boxes get the whole width.
  const bool compact = W < fs * 45;
  if (compact) label_w = fs * 0.3f;
  // Below this, text is not shrunk further: it wraps (boxes) or may overlap (labels).
  const float min_text = fs * 0.72f;
  for (int b = 0; b < 3; ++b) {
    const float y0 = o.y + band_h * b;
    fill_opaque_rect(dl, ImVec2(o.x, y0), ImVec2(o.x + W, y0 + band_h), band_bg[b]);
    // Narrow: the band's name smaller, in its corner, above the boxes (which sit lower).
    dl->AddText(ImGui::GetFont(), compact ? min_text : fs, ImVec2(o.x + fs * (compact ? 0.3f : 0.5f), y0 + fs * (compact ? 0.2f : 0.4f)),
                text_col, tr(p, band_en[b]));
  }

  std::map<std::string, int> column;
  std::vector<const DiagramBox*> order;
  auto place = [&](const std::string& id) {
    if (column.count(id)) return;
    for (const auto& b : tb->boxes)
      if (b.id == id) {
        column[id] = static_cast<int>(order.size());
        order.push_back(&b);
      }
  };
  for (const auto& a : row.arrows) {
    place(a.from);
    place(a.to);
  }
  for (const auto& b : tb->boxes) place(b.id);
  const int ncol = std::max<int>(1, static_cast<int>(order.size()));
  const float col_w = (W - label_w) / static_cast<float>(ncol);
  std::map<std::string, BoxGeom> geom;
  for (const DiagramBox* b : order) {
    int band = b->band == "user" ? 0 : b->band == "kernel" ? 1 : 2;
    const float cx = o.x + label_w + col_w * (static_cast<float>(column[b->id]) + 0.5f);
    const float cy = o.y + band_h * (static_cast<float>(band) + (compact ? 0.6f : 0.55f));
    const float tw = ImGui::CalcTextSize(view->box_label(*b).in(p.lang).c_str()).x;
    const float hw = std::min(col_w * 0.42f, std::max(tw * 0.5f + fs * 0.6f, fs * 3.5f));
    geom[b->id] = {ImVec2(cx, cy), ImVec2(hw, std::min(band_h * 0.24f, fs * 1.3f))};
  }

  // The user/kernel boundary, with a mark for each crossing near the cursor.
  const float by = o.y + band_h;
  dashed(dl, ImVec2(o.x, by), ImVec2(o.x + W, by), col(palette::kModeSwitch, 200), 2.0f, 6.0f);
  const size_t nsw = view->switches_at(cursor);
  const std::string switch_count = std::string(tr(p, "mode switches: ")) + format_count(nsw);
  dl->AddText(ImVec2(o.x + fs * 0.5f, by - fs * 1.5f), text_col, switch_count.c_str());
  // Stretches of the boundary that arrows and their labels cover: the marks go around them.
  std::vector<std::pair<float, float>> boundary_taken = {
      {o.x, o.x + fs * 0.5f + ImGui::CalcTextSize(switch_count.c_str()).x}};

  const int cur_step = view->step_at(cursor);
  drawn.cur_step = cur_step;
  const int cur_n = cur_step >= 0 ? row.steps[static_cast<size_t>(cur_step)].n : -1;
  const bool animate = r && (app.prefs.playing || !r->finished || app.options().at >= 0);
  const float t_anim = static_cast<float>(ImGui::GetTime());

  for (const DiagramBox* b : order) {
    const BoxGeom& g = geom[b->id];
    bool touched = false;
    for (const DiagramArrow& a : row.arrows)
      if (a.step == cur_n && (a.from == b->id || a.to == b->id)) touched = true;
    const ImVec2 a(g.c.x - g.half.x, g.c.y - g.half.y), z(g.c.x + g.half.x, g.c.y + g.half.y);
    dl->AddRectFilled(a, z, light ? IM_COL32(255, 255, 255, 255) : IM_COL32(58, 62, 74, 255), 6);
    const ImU32 edge = light ? IM_COL32(90, 90, 100, 255) : IM_COL32(170, 170, 185, 255);
    dl->AddRect(a, z, touched ? col(palette::kModeSwitch) : edge, 6, 0, touched ? 4.0f : 1.5f);
    const std::string& text = view->box_label(*b).in(p.lang);
    // Narrow windows or large fonts: shrink the label to its box rather than
    // spill, down to min_text; below that it goes on two lines (at a space, or
    // mid-way for CJK text without spaces).
    const ImVec2 full = ImGui::CalcTextSize(text.c_str());
    const float inner = g.half.x * 2 - fs * 0.4f;
    float size = std::min(fs, fs * inner / std::max(1.0f, full.x));
    std::vector<std::string> lines = {text};
    if (size < min_text) {
      size_t cut = text.find(' ', text.size() / 2);
      if (cut == std::string::npos) cut = text.rfind(' ', text.size() / 2);
      if (cut == std::string::npos) {  // a UTF-8 boundary near the middle
        cut = text.size() / 2;
        while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
      }
      lines = {text.substr(0, cut), text.substr(cut + (cut < text.size() && text[cut] == ' ' ? 1 : 0))};
      float widest = 0;
      for (const std::string& l : lines) widest = std::max(widest, ImGui::CalcTextSize(l.c_str()).x);
      size = std::max(std::min(fs, fs * inner / std::max(1.0f, widest)), std::min(min_text, fs));
    }
    const float lh = ImGui::GetTextLineHeight() * size / fs;
    float y = g.c.y - lh * static_cast<float>(lines.size()) * 0.5f;
    for (const std::string& l : lines) {
      const float lw = ImGui::CalcTextSize(l.c_str()).x * size / fs;
      dl->AddText(ImGui::GetFont(), size, ImVec2(g.c.x - lw * 0.5f, y), text_col, l.c_str());
      y += lh;
    }
  }

  std::vector<std::string>& ghost_notes = drawn.ghost_notes;
  for (size_t i = 0; i < row.arrows.size(); ++i) {
    const DiagramArrow& a = row.arrows[i];
    if (!geom.count(a.from) || !geom.count(a.to)) continue;
    const BoxGeom &ga = geom[a.from], &gb = geom[a.to];
    const ImVec2 s = edge_point(ga, gb.c), e = edge_point(gb, ga.c);
    const ArrowTrack& t = view->arrows[i];
    const bool cpu = a.kind == "cpu", dma = a.kind == "dma", signal = a.kind == "signal";
    const bool ghost = !t.happened;
    const bool software = dma && t.software;
    const Rgb c = cpu        ? palette::kCpuCopy
                  : software ? palette::kHandoff
                  : dma      ? palette::kDma
                  : signal   ? palette::kSignal
                             : palette::kPageRef;
    ImU32 color = col(c);
    if (ghost) color = light ? IM_COL32(200, 190, 186, 255) : IM_COL32(96, 90, 88, 255);
    const bool current = a.step == cur_n;
    const float th = fs * (current ? 0.34f : 0.24f);
    arrow(dl, s, e, color, th, !(cpu || dma || signal) || ghost || software, fs * 0.8f);
    const ImVec2 mid((s.x + e.x) * 0.5f, (s.y + e.y) * 0.5f);
    if (ghost) {  // struck out: the textbook's stage that this run did not perform
      const float k = fs * 0.7f;
      dl->AddLine(ImVec2(mid.x - k, mid.y - k), ImVec2(mid.x + k, mid.y + k), col(palette::kDiffers), 3.0f);
      dl->AddLine(ImVec2(mid.x - k, mid.y + k), ImVec2(mid.x + k, mid.y - k), col(palette::kDiffers), 3.0f);
      ghost_notes.push_back(std::to_string(a.step) + ". " + a.label.in(p.lang) + ": " +
                            tr(p, "did not happen in this run. ") + t.why.in(p.lang));
    } else if (software && !t.why.empty()) {
      ghost_notes.push_back(std::to_string(a.step) + ". " + a.label.in(p.lang) + ": " + t.why.in(p.lang));
    }
    // Tokens: bytes in flight along arrows that carried data just before the cursor.
    if (animate && !ghost && t.total > 0) {
      const uint64_t win = std::max<uint64_t>(1, r ? (r->view.t1 - r->view.t0) / 40 : 1);
      if (t.at(cursor) > t.at(cursor > win ? cursor - win : 0))
        for (int k = 0; k < 3; ++k) {
          const float f = std::fmod(t_anim * 0.7f + k / 3.0f, 1.0f);
          dl->AddCircleFilled(ImVec2(s.x + (e.x - s.x) * f, s.y + (e.y - s.y) * f), fs * 0.3f,
                              light ? IM_COL32(20, 20, 20, 255) : IM_COL32(255, 255, 255, 255));
        }
    }
    // Label: step number, kind, bytes so far; centred on the arrow.
    std::string line1 = std::to_string(a.step) + ". " + a.label.in(p.lang);
    if (software) line1 = std::to_string(a.step) + ". " + tr(p, "hand-off");
    std::string line2 = r ? format_bytes(t.at(cursor)) : tr(p, "not run yet");
    if (ghost)
      line2 = cpu ? tr(p, "no CPU copy") : tr(p, "did not happen");
    else if (r && signal)
      line2 = t.at(cursor) || t.ts.empty() || cursor >= t.ts.front() ? tr(p, "signal sent")
                                                                     : tr(p, "not yet");
    ImVec2 s1 = ImGui::CalcTextSize(line1.c_str()), s2 = ImGui::CalcTextSize(line2.c_str());
    const float lfs = std::max(std::min(fs, fs * (col_w * 0.8f) / (std::max(s1.x, s2.x) + fs * 0.6f)), min_text);
    s1 = ImVec2(s1.x * lfs / fs, s1.y * lfs / fs);
    s2 = ImVec2(s2.x * lfs / fs, s2.y * lfs / fs);
    const float lw = std::max(s1.x, s2.x) + lfs * 0.6f, lh = s1.y + s2.y + lfs * 0.3f;
    // Beside the arrow, never on it: in the half-plane the line does not enter
    // (one box per column, so that corner of the band is free).
    ImVec2 lp;
    if (std::fabs(e.y - s.y) < 1.0f) {
      lp = ImVec2(mid.x - lw * 0.5f, std::min(ga.c.y - ga.half.y, gb.c.y - gb.half.y) - lh - fs * 0.2f);
    } else {
      // Always on the right, so two arrows meeting at one box label apart:
      // below a line that rises to the right, above one that falls to it.
      const bool below = (e.x - s.x) * (e.y - s.y) < 0;
      lp.x = mid.x + fs * 0.4f;
      lp.y = below ? mid.y + fs * 0.2f : mid.y - lh - fs * 0.2f;
    }
    if (lp.y < by + fs * 0.8f && lp.y + lh > by - fs * 1.2f) boundary_taken.push_back({lp.x, lp.x + lw});
    if ((s.y - by) * (e.y - by) < 0) {
      const float cx = s.x + (by - s.y) / (e.y - s.y) * (e.x - s.x);
      boundary_taken.push_back({cx - th * 2, cx + th * 2});
    }
    dl->AddRectFilled(lp, ImVec2(lp.x + lw, lp.y + lh),
                      light ? IM_COL32(255, 255, 255, 235) : IM_COL32(24, 26, 32, 235), 4);
    dl->AddRect(lp, ImVec2(lp.x + lw, lp.y + lh), ghost ? color : (current ? col(palette::kModeSwitch) : dim_col), 4, 0,
                current ? 2.5f : 1.0f);
    dl->AddText(ImGui::GetFont(), lfs, ImVec2(lp.x + lfs * 0.3f, lp.y + lfs * 0.1f), ghost ? dim_col : text_col,
                line1.c_str());
    dl->AddText(ImGui::GetFont(), lfs, ImVec2(lp.x + lfs * 0.3f, lp.y + lfs * 0.15f + s1.y), ghost ? dim_col : text_col,
                line2.c_str());
  }

  {
    // The last transfer unit's crossings, numbered as the articles count them
    // (1..4 for read + write): odd = into the kernel (down), even = back (up).
    // Spread along the boundary, each moved off what an arrow or a label covers.
    const size_t per_unit = std::max<size_t>(static_cast<size_t>(row.expect.mode_switches.value_or(4.0)), 1);
    const size_t show = std::min(nsw, per_unit);
    const float x0 = o.x + std::max(label_w, ImGui::CalcTextSize(switch_count.c_str()).x + fs) + fs * 1.5f;
    const float x1 = o.x + W - fs * 2;
    const float tri = fs * 0.45f, gap = fs * 0.3f;
    const ImU32 mark = col(palette::kModeSwitch);
    for (size_t k = 0; k < show; ++k) {
      const size_t i = nsw - show + k;
      const std::string num = std::to_string(i % per_unit + 1);
      const float left = tri, right = tri * 1.3f + ImGui::CalcTextSize(num.c_str()).x;  // around x
      float x = show > 1 ? x0 + (x1 - x0) * static_cast<float>(k) / static_cast<float>(show - 1) : x1;
      for (int tries = 0; tries < 8; ++tries) {
        auto hit = std::find_if(boundary_taken.begin(), boundary_taken.end(),
                                [&](const auto& t) { return x - left < t.second + gap && x + right > t.first - gap; });
        if (hit == boundary_taken.end()) break;
        x = hit->second + gap + left <= x1 ? hit->second + gap + left : hit->first - gap - right;
      }
      boundary_taken.push_back({x - left, x + right});
      const bool down = i % 2 == 0;
      if (down)
        dl->AddTriangleFilled(ImVec2(x - tri, by - tri), ImVec2(x + tri, by - tri), ImVec2(x, by + tri), mark);
      else
        dl->AddTriangleFilled(ImVec2(x - tri, by + tri), ImVec2(x + tri, by + tri), ImVec2(x, by - tri), mark);
      dl->AddText(ImVec2(x + tri * 1.3f, by - fs * 1.15f), text_col, num.c_str());
    }
  }

  return drawn;
}

void draw_datapath_panel(App& app) {
  if (draw_trace_flows(app)) return;  // a traced program has flows, not one method's diagram
  const UiPrefs& p = app.prefs;
  SessionRun* r = app.session.current();
  const auto& methods = Textbook::builtin().methods();
  const std::string method = r ? r->run.params.method : app.edit.method;
  const TextbookMethod* tb = Textbook::builtin().find(method);
  if (!tb && !methods.empty()) tb = &methods.front();
  if (!tb) {
    ImGui::TextUnformatted(
        tr(p, "No textbook data (assets/methods/) was found."));
    return;
  }
  // Without a run the diagram is the textbook's alone (the method's own row).
  DiagramState empty;
  const DiagramState* view = r && r->view.textbook == tb && r->view.diagram.row ? &r->view.diagram : nullptr;
  if (!view) {
    empty.method = tb;
    empty.row = &tb->rows.front();
    empty.arrows.resize(empty.row->arrows.size());
    view = &empty;
  }
  const TextbookRow& row = *view->row;
  const uint64_t cursor = r ? r->cursor : 0;
  const bool light = light_theme(app);
  const float fs = ImGui::GetFontSize();

  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(tb->title.in(p.lang).c_str());
  ImGui::PopFont();
  if (tb->rows.size() > 1) {  // which textbook row, and the one not drawn
    ImGui::SameLine();
    std::string others;
    for (const TextbookRow& o : tb->rows)
      if (&o != &row) others += (others.empty() ? "" : ", ") + o.title.in(p.lang);
    ImGui::TextColored(ImVec4(0.35f, 0.55f, 0.85f, 1), "%s %s", tr(p, "row:"), row.title.in(p.lang).c_str());
    if (ImGui::IsItemHovered() && !others.empty())
      ImGui::SetTooltip("%s %s", tr(p, "the other textbook row:"), others.c_str());
  }
  if (r) {
    std::string origin = r->origin == "live"        ? tr(p, "live run")
                         : r->origin == "synthetic" ? tr(p, "synthetic data, not a measurement")
                                                    : tr(p, "recording");
    // Measured in the lab VM (live or opened later): say where, and which kernel.
    if (r->run.where.rfind("vm:", 0) == 0)
      origin = std::string(tr(p, "lab VM ")) + r->run.where.substr(3) + ", " + tr(p, "kernel ") +
               r->run.kernel.release;
    const std::string line =
        origin + " · " + r->label + " · " + tr(p, "copies") + " " +
        (r->run.kernel.copy_accounting == "measured" ? tr(p, "measured") : tr(p, "attributed"));
    // Beside the title when it fits, else on a line of its own.
    ImGui::SameLine();
    if (ImGui::CalcTextSize(line.c_str()).x > ImGui::GetContentRegionAvail().x) ImGui::NewLine();
    ImGui::TextDisabled("%s", line.c_str());
  } else {
    ImGui::SameLine();
    ImGui::TextDisabled("%s", tr(p, "textbook only: press Run to measure"));
  }

  // Legend, outside the diagram so that its swatches are not counted as arrows.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  auto fits = [&](const char* text, float extra) {
    if (ImGui::GetContentRegionAvail().x < ImGui::CalcTextSize(text).x + extra) ImGui::NewLine();
  };
  auto swatch = [&](Rgb c, bool dash, const char* en) {
    fits(tr(p, en), fs * 2.6f);
    ImVec2 pos = ImGui::GetCursorScreenPos();
    const float y = pos.y + ImGui::GetTextLineHeight() * 0.5f;
    arrow(dl, ImVec2(pos.x, y), ImVec2(pos.x + fs * 2.2f, y), col(c), fs * 0.22f, dash, fs * 0.5f);
    ImGui::Dummy(ImVec2(fs * 2.4f, ImGui::GetTextLineHeight()));
    ImGui::SameLine();
    ImGui::TextUnformatted(tr(p, en));
    ImGui::SameLine(0, fs * 1.2f);
  };
  swatch(palette::kDma, false, N_("DMA (device copies)"));
  swatch(palette::kCpuCopy, false, N_("CPU copy"));
  swatch(palette::kPageRef, true, N_("shared pages / descriptor"));
  {
    fits(tr(p, "mode switch"), fs * 1.4f);
    ImVec2 pos = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    dl->AddTriangleFilled(ImVec2(pos.x, pos.y + h * 0.2f), ImVec2(pos.x + h * 0.8f, pos.y + h * 0.2f),
                          ImVec2(pos.x + h * 0.4f, pos.y + h * 0.9f), col(palette::kModeSwitch));
    ImGui::Dummy(ImVec2(h, h));
    ImGui::SameLine();
    ImGui::TextUnformatted(tr(p, "mode switch"));
  }

  // The diagram: three bands, boxes placed left to right in the order data reaches them.
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float dh = std::max(fs * 10, avail.y * 0.52f);
  const ImVec2 o = ImGui::GetCursorScreenPos();
  const float W = avail.x;
  ImGui::Dummy(ImVec2(W, dh));
  app.diagram_rect[0] = o.x;
  app.diagram_rect[1] = o.y;
  app.diagram_rect[2] = W;
  app.diagram_rect[3] = dh;
  const DiagramDrawn drawn = draw_diagram(app, dl, o, W, dh, *tb, *view, r, cursor);
  const int cur_step = drawn.cur_step;
  const std::vector<std::string>& ghost_notes = drawn.ghost_notes;

  // Below: the numbered steps on the left, measured against the textbook on the right.
  const float below_h = ImGui::GetContentRegionAvail().y;
  const float half = ImGui::GetContentRegionAvail().x * 0.5f - ImGui::GetStyle().ItemSpacing.x * 0.5f;
  // No background of their own: the panel's is the same colour, and under a
  // software renderer every layer of fill costs (see bench gui).
  ImGui::BeginChild("steps", ImVec2(half, below_h), true, ImGuiWindowFlags_NoBackground);
  ImGui::TextUnformatted(tr(p, "Steps"));
  for (size_t i = 0; i < row.steps.size(); ++i) {
    const DiagramStep& st = row.steps[i];
    const bool is_current = static_cast<int>(i) == cur_step;
    bool passed = false;
    for (const StepHit& h : view->step_hits) {
      if (h.ts > cursor) break;
      if (h.step == static_cast<int>(i)) {
        passed = true;
        break;
      }
    }
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const std::string text = wrap_to(std::to_string(st.n) + ". " + st.text.in(p.lang), ImGui::GetContentRegionAvail().x);
    if (is_current) {
      const ImVec2 sz = ImGui::CalcTextSize(text.c_str());
      ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(pos.x - 4, pos.y - 2),
                                                ImVec2(pos.x + sz.x + 4, pos.y + sz.y + 2),
                                                col(palette::kModeSwitch, light ? 90 : 70), 4);
    }
    if (!passed && !is_current && r)
      ImGui::TextDisabled("%s", text.c_str());
    else
      ImGui::TextUnformatted(text.c_str());
  }
  if (!ghost_notes.empty()) {
    ImGui::Separator();
    for (const auto& n : ghost_notes) text_wrapped("%s", n.c_str());
  }
  ImGui::EndChild();
  end_child_border(ImGui::GetStyle().ChildRounding);
  ImGui::SameLine();
  ImGui::BeginChild("measured", ImVec2(0, below_h), true, ImGuiWindowFlags_NoBackground);
  ImGui::TextUnformatted(tr(p, "Per transfer unit: textbook vs measured"));
  const bool have = r && r->finished && !r->failed;
  if (ImGui::BeginTable("vs", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn(tr(p, "textbook"));
    ImGui::TableSetupColumn(tr(p, "measured"));
    ImGui::TableSetupColumn(tr(p, "match"));
    ImGui::TableHeadersRow();
    struct Row {
      const char* en;
      std::optional<double> tbv;
      double m;
    };
    const Row rows[] = {
        {N_("mode switches"), row.expect.mode_switches, have ? r->summary.per_call.mode_switches : 0},
        {N_("CPU copies"), row.expect.cpu_copies, have ? r->summary.per_call.cpu_copies : 0},
        {N_("DMA copies"), row.expect.dma_copies, have ? r->summary.per_call.dma_copies : 0},
        {N_("context switches"), std::nullopt, have ? r->summary.per_call.context_switches : 0},
        {N_("  of which preempted"), std::nullopt,
         have ? static_cast<double>(r->summary.counters.context_switches_involuntary) /
                    static_cast<double>(r->summary.units)
              : 0},
    };
    for (const Row& row : rows) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(tr(p, row.en));
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.tbv ? format_figure(*row.tbv).c_str() : "-");
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(have ? format_figure(row.m).c_str() : "-");
      ImGui::TableNextColumn();
      if (have && row.tbv) {
        const bool ok = std::round(row.m) == *row.tbv;
        ImGui::PushStyleColor(ImGuiCol_Text, col(ok ? palette::kMatches : palette::kDiffers));
        ImGui::TextUnformatted(ok ? "\u2713" : "\u2717");
        ImGui::PopStyleColor();
      }
    }
    ImGui::EndTable();
  }
  if (have) {
    ImGui::TextDisabled("%s %s, %s %s", tr(p, "units:"), format_count(r->summary.units).c_str(),
                        tr(p, "throughput"), format_rate(r->summary.throughput_mib_s * kMiB).c_str());
    for (const Deviation& d : r->summary.deviations) {
      ImGui::PushStyleColor(ImGuiCol_Text, light ? ImVec4(0.6f, 0.25f, 0.0f, 1) : ImVec4(1.0f, 0.7f, 0.35f, 1));
      if (d.attributed.is_null())
        text_wrapped("%s: %s %s, %s %s", tr(p, quantity_name(d.what)), tr(p, "textbook"), d.textbook.dump().c_str(),
                           tr(p, "measured"), d.measured.dump().c_str());
      else  // measured at the copy routines: attribution's figure beside it
        text_wrapped("%s: %s %s, %s %s, %s %s", tr(p, quantity_name(d.what)), tr(p, "textbook"),
                           d.textbook.dump().c_str(), tr(p, "measured at the copy routines"),
                           d.measured.dump().c_str(), tr(p, "attribution would say"),
                           d.attributed.dump().c_str());
      ImGui::PopStyleColor();
      text_wrapped("%s", d.why.in(p.lang).c_str());
    }
    for (const Text& n : r->summary.notes) text_wrapped("%s", n.in(p.lang).c_str());
  } else if (r && r->failed) {
    text_wrapped("%s %s", tr(p, "The run failed:"), r->error.c_str());
  } else if (r) {
    ImGui::TextDisabled("%s", tr(p, "measuring..."));
  }
  if (!row.note.en.empty()) {
    ImGui::Separator();
    text_wrapped("%s", row.note.in(p.lang).c_str());
  }
  if (!tb->teaching_points.empty()) {
    ImGui::Separator();
    for (const auto& t : tb->teaching_points) text_wrapped("- %s", t.in(p.lang).c_str());
  }
  ImGui::EndChild();
  end_child_border(ImGui::GetStyle().ChildRounding);
}

}  // namespace copyscope::ui
