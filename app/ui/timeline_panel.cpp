// Timeline: a lane per thread (and one for the disk). Syscall spans, off-CPU
// spans between sched out and in, block I/O, faults and transmits as ticks.
// Wheel zooms around the mouse, dragging pans, hovering shows the event.
// Spans come from per-lane levels of detail (run_view.cpp), so the number of
// shapes drawn follows the width in pixels, not the number of events.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "model/format.h"
#include "ui/app.h"
#include "ui/draw.h"
#include "ui/text_wrap.h"

namespace copyscope::ui {

namespace {

struct TimelineState {
  const void* run = nullptr;
  double start = 0, span = 1;  // visible range, ns relative to view.t0
  bool finished = false;
};

// By syscall number: the same call has the same colour in every run.
ImU32 syscall_color(uint16_t key) {
  if (key == kMixed) return col(palette::kMixed);
  if (key == kBlockRead || key == kBlockWrite) return col(palette::kBlockIo);
  return col(palette::kSyscalls[key % std::size(palette::kSyscalls)]);
}

Rgb lane_color(const Lane& l) {
  switch (l.kind) {
    case LaneKind::Disk:
      return palette::kBlockIo;
    case LaneKind::Interrupt:
      return palette::kInterrupt;
    case LaneKind::Thread:
      break;
  }
  return l.role == CS_ROLE_RECEIVER ? palette::kReceiver : palette::kSender;
}

void event_tooltip(const Run& run, const Span& s, const RunView& v, const UiPrefs& p) {
  ImGui::BeginTooltip();
  if (s.count > 1 || s.event >= run.events.size()) {
    ImGui::Text("%s %s", format_count(s.count).c_str(),
                tr(p, "events merged at this zoom: zoom in to see each"));
    ImGui::Text("%s .. %s", format_duration(static_cast<double>(s.t0 - v.t0)).c_str(),
                format_duration(static_cast<double>(s.t1 - v.t0)).c_str());
    ImGui::EndTooltip();
    return;
  }
  const Event& e = run.events[s.event];
  const std::string rel = format_duration(static_cast<double>(s.t0 - std::min(s.t0, v.t0)));
  const std::string dur = format_duration(static_cast<double>(s.t1 - s.t0));
  if (s.key == kOffCpu) {
    ImGui::TextUnformatted(tr(p, "off CPU (sched out .. in)"));
  } else if (e.type == CS_EV_SYSCALL) {
    ImGui::Text("%s(%s -> %s)", syscall_name(e.sys), fd_kind_name(e.a), fd_kind_name(e.b));
    ImGui::TextUnformatted(trf(p, "asked for %s, returned %s", format_bytes(e.arg1 & ~CS_COUNT_MSG_ZEROCOPY),
                               std::to_string(static_cast<long long>(e.ret))).c_str());
    if (e.arg1 & CS_COUNT_MSG_ZEROCOPY) ImGui::TextUnformatted("MSG_ZEROCOPY");
  } else if (e.type == CS_EV_BLOCK) {
    const std::string sector = std::to_string(static_cast<unsigned long long>(e.arg0));
    ImGui::TextUnformatted((e.a ? trf(p, "disk write at sector %s, %s", sector, format_bytes(e.arg1))
                                : trf(p, "disk read at sector %s, %s", sector, format_bytes(e.arg1)))
                               .c_str());
  } else if (e.type == CS_EV_FAULT) {
    char addr[32];
    std::snprintf(addr, sizeof addr, "0x%llx", static_cast<unsigned long long>(e.arg0));
    ImGui::TextUnformatted(
        (e.a ? trf(p, "page fault in user mode at %s", addr) : trf(p, "page fault in the kernel at %s", addr)).c_str());
  } else if (e.type == CS_EV_NET_XMIT) {
    ImGui::TextUnformatted((e.a ? trf(p, "%s handed over on loopback (software)", format_bytes(e.arg1))
                                : trf(p, "%s sent to a network card", format_bytes(e.arg1)))
                               .c_str());
  } else {
    ImGui::TextUnformatted(event_type_name(e.type));
  }
  ImGui::TextUnformatted(trf(p, "at %s, lasted %s", rel, dur).c_str());
  ImGui::TextUnformatted(trf(p, "thread %s on CPU %s", std::to_string(e.tid), std::to_string(e.cpu)).c_str());
  ImGui::EndTooltip();
}


// "sender · JIT compiler · C2 CompilerThre 1234" in the window's language.
std::string lane_label(const Lane& l, const UiPrefs& p) {
  switch (l.kind) {
    case LaneKind::Disk:
      return tr(p, "disk (block I/O)");
    case LaneKind::Interrupt:
      return tr(p, "softirq / IRQ");
    case LaneKind::Thread:
      break;
  }
  std::string s = tr(p, l.role == CS_ROLE_RECEIVER ? "receiver" : "sender");
  if (!l.thread_role.empty() && l.thread_role != "transfer") s += std::string(" · ") + tr(p, l.thread_role.c_str());
  s += " · " + (l.thread.empty() ? std::string() : l.thread + " ") + std::to_string(l.tid);
  return s;
}

// One entry of the key: a swatch drawn like the thing, then its name; wraps.
void key_item(ImDrawList* dl, const char* label, const std::function<void(ImVec2, float)>& swatch) {
  const float fs = ImGui::GetFontSize();
  const float w = fs * 1.4f + ImGui::CalcTextSize(label).x;
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  ImGui::SameLine();
  if (ImGui::GetCursorScreenPos().x + w > right) ImGui::NewLine();
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(w, ImGui::GetTextLineHeight()));
  swatch(at, fs);
  dl->AddText(ImVec2(at.x + fs * 1.4f, at.y), ImGui::GetColorU32(ImGuiCol_Text), label);
}

void draw_key(const App&, const UiPrefs& p, bool light) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::TextUnformatted(tr(p, "Key:"));
  auto box = [&](ImU32 c) {
    return [=](ImVec2 at, float fs) {
      ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(at.x, at.y + fs * 0.2f), ImVec2(at.x + fs, at.y + fs * 0.9f), c);
    };
  };
  auto tick = [&](ImU32 c) {
    return [=](ImVec2 at, float fs) {
      ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(at.x + fs * 0.4f, at.y), ImVec2(at.x + fs * 0.6f, at.y + fs * 0.5f), c);
    };
  };
  key_item(dl, tr(p, "syscall (a colour per call)"), [&](ImVec2 at, float fs) {
    for (int i = 0; i < 3; ++i)
      dl->AddRectFilled(ImVec2(at.x + fs * 0.34f * i, at.y + fs * 0.2f), ImVec2(at.x + fs * 0.34f * (i + 1), at.y + fs * 0.9f),
                        col(palette::kSyscalls[i]));
  });
  key_item(dl, tr(p, "off CPU (sched out .. in)"),
           box(light ? IM_COL32(120, 120, 130, 110) : IM_COL32(200, 200, 210, 70)));
  key_item(dl, tr(p, "block I/O (disk DMA)"), box(col(palette::kBlockIo)));
  key_item(dl, tr(p, "page fault"), tick(col(palette::kPageFault)));
  key_item(dl, tr(p, "transmit"), tick(col(palette::kDelivered)));
  key_item(dl, tr(p, "phase start / end"), [&](ImVec2 at, float fs) {
    for (float yy = at.y; yy < at.y + fs; yy += fs * 0.45f)
      dl->AddLine(ImVec2(at.x + fs * 0.5f, yy), ImVec2(at.x + fs * 0.5f, yy + fs * 0.25f), col(palette::kPhase), 2.0f);
  });
  key_item(dl, tr(p, "replay cursor"), [&](ImVec2 at, float fs) {
    dl->AddLine(ImVec2(at.x + fs * 0.5f, at.y), ImVec2(at.x + fs * 0.5f, at.y + fs), col(palette::kModeSwitch), 2.0f);
  });
  key_item(dl, tr(p, "fainter = sparse events merged at this zoom"), box(col(palette::kSyscalls[0], 110)));
}

}  // namespace

void draw_timeline_panel(App& app) {
  static TimelineState st;
  const UiPrefs& p = app.prefs;
  SessionRun* r = app.session.current();
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(tr(p, "Timeline"));
  ImGui::PopFont();
  if (!r) {
    text_wrapped("%s", tr(p, "Run a scenario or open a recording to see its timeline."));
    return;
  }
  const RunView& v = r->view;
  const double total = static_cast<double>(v.t1 - v.t0);
  // A new run, or one still growing: show all of it.
  if (st.run != r || !st.finished) {
    st.start = 0;
    st.span = std::max(1.0, total);
    st.run = r;
    st.finished = r->finished;
  }
  ImGui::SameLine();
  ImGui::TextDisabled("%s · %s %s · %s", r->label.c_str(), format_count(v.event_count).c_str(),
                      tr(p, "events"),
                      tr(p, "wheel: zoom, drag: pan, double-click: reset"));
  // What the timeline misses, on a line of its own (wrapped: it is long in either language).
  if (v.events_dropped || v.event_stride > 1) {
    ImGui::PushStyleColor(ImGuiCol_Text, col(palette::kDiffers));
    if (v.events_dropped)
      text_wrapped("%s %s", format_count(v.events_dropped).c_str(),
                         tr(p, "events dropped (ring buffer full): missing here, counters exact"));
    if (v.event_stride > 1)
      text_wrapped(tr(p, "Memory budget: shown are the events of 1 in %u of the 1 ms windows; counters exact"),
                         v.event_stride);
    ImGui::PopStyleColor();
  }

  const float fs = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  float name_w = fs * 4;
  const float mark_w = fs * 0.25f;  // the lane's role, left of its name
  // Lane names take at most a third of the width; longer ones are cut (the tooltip of the name has all of it).
  for (const Lane& l : v.lanes)
    name_w = std::max(name_w, ImGui::CalcTextSize(lane_label(l, p).c_str()).x + fs + mark_w * 2);
  name_w = std::min(name_w, avail.x / 3);
  const float axis_h = fs * 1.6f;
  const float lane_h = std::clamp(
      (avail.y - axis_h - fs * 2.5f) / std::max<float>(1, static_cast<float>(v.lanes.size())), fs * 2.0f, fs * 4.0f);
  const float x0 = o.x + name_w, x1 = o.x + avail.x;
  const float plot_w = std::max(1.0f, x1 - x0);
  const float h = axis_h + lane_h * static_cast<float>(v.lanes.size());
  ImGui::InvisibleButton("##timeline", ImVec2(avail.x, std::max(h, fs * 4)));
  app.timeline_rect[0] = x0;
  app.timeline_rect[1] = o.y + axis_h;
  app.timeline_rect[2] = plot_w;
  app.timeline_rect[3] = h - axis_h;
  const bool hovered = ImGui::IsItemHovered();
  ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0 && io.MousePos.x >= x0) {
    const double at = st.start + (io.MousePos.x - x0) / plot_w * st.span;
    const double f = std::pow(0.8, io.MouseWheel);
    st.span = std::clamp(st.span * f, 200.0, std::max(1.0, total));
    st.start = at - (io.MousePos.x - x0) / plot_w * st.span;
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0))
    st.start -= io.MouseDelta.x / plot_w * st.span;
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    st.start = 0;
    st.span = std::max(1.0, total);
  }
  st.start = std::clamp(st.start, 0.0, std::max(0.0, total - st.span));

  ImDrawList* dl = ImGui::GetWindowDrawList();
  const bool light = light_theme(app);
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  dl->PushClipRect(o, ImVec2(x1, o.y + h), true);
  // Axis: about eight ticks at round numbers.
  const double ns_per_px = st.span / plot_w;
  double step = std::pow(10.0, std::floor(std::log10(st.span / 8)));
  if (st.span / step > 16)
    step *= 5;
  else if (st.span / step > 8)
    step *= 2;
  float label_end = -1e9f;
  for (double t = std::ceil(st.start / step) * step; t <= st.start + st.span; t += step) {
    const float x = x0 + static_cast<float>((t - st.start) / ns_per_px);
    dl->AddLine(ImVec2(x, o.y + axis_h * 0.7f), ImVec2(x, o.y + h),
                light ? IM_COL32(0, 0, 0, 30) : IM_COL32(255, 255, 255, 25));
    const std::string label = format_duration(t);
    const float lw = ImGui::CalcTextSize(label.c_str()).x;
    if (x + 3 > label_end + fs * 0.5f && x + 3 + lw < x1) {
      dl->AddText(ImVec2(x + 3, o.y), dim, label.c_str());
      label_end = x + 3 + lw;
    }
  }
  const uint64_t a = v.t0 + static_cast<uint64_t>(std::max(0.0, st.start));
  const uint64_t z = v.t0 + static_cast<uint64_t>(st.start + st.span);
  auto X = [&](uint64_t t) {
    return x0 + static_cast<float>((static_cast<double>(t) - static_cast<double>(a)) / ns_per_px);
  };
  const Span* hover = nullptr;
  const Lane* hover_lane = nullptr;
  size_t drawn = 0;
  for (size_t li = 0; li < v.lanes.size(); ++li) {
    const Lane& lane = v.lanes[li];
    const float y = o.y + axis_h + lane_h * static_cast<float>(li);
    if (li % 2)
      dl->AddRectFilled(ImVec2(o.x, y), ImVec2(x1, y + lane_h),
                        light ? IM_COL32(0, 0, 0, 12) : IM_COL32(255, 255, 255, 10));
    const std::string name = lane_label(lane, p);
    dl->AddRectFilled(ImVec2(o.x + fs * 0.2f, y + lane_h * 0.25f), ImVec2(o.x + fs * 0.2f + mark_w, y + lane_h * 0.75f),
                      col(lane_color(lane)));
    dl->PushClipRect(ImVec2(o.x, y), ImVec2(x0 - fs * 0.3f, y + lane_h), true);
    dl->AddText(ImVec2(o.x + fs * 0.3f + mark_w * 2, y + (lane_h - fs) * 0.5f), text, name.c_str());
    dl->PopClipRect();
    if (hovered && io.MousePos.x < x0 && io.MousePos.y >= y && io.MousePos.y < y + lane_h) hover_lane = &lane;
    auto draw_spans = [&](const SpanLevels& lv, float top, float bottom, bool ticks) {
      size_t level = 0;
      const auto& spans = lv.pick(ns_per_px, &level);
      if (spans.empty()) return;
      for (size_t i = lv.first_visible(level, a); i < spans.size() && spans[i].t0 <= z; ++i) {
        const Span& s = spans[i];
        float sx = X(s.t0), ex = X(s.t1);
        if (ticks) {
          ex = sx + 2;
          sx -= 1;
        } else if (ex - sx < 1.0f) {
          ex = sx + 1.0f;  // never thinner than a pixel: a merged burst must stay visible
        }
        // Only in the plot: a span begun before the visible range stays out of the names.
        if (ex < x0) continue;
        sx = std::max(sx, x0);
        ImU32 c = s.key == kOffCpu    ? (light ? IM_COL32(120, 120, 130, 110) : IM_COL32(200, 200, 210, 70))
                  : s.key == kFault   ? col(palette::kPageFault)
                  : s.key == kNetXmit ? col(palette::kDelivered)
                                      : syscall_color(s.key);
        if (s.count > 1 && !ticks && s.t1 > s.t0) {
          // Sparse bursts fainter, busy ones solid: density survives the merge.
          const double density = std::min(1.0, static_cast<double>(s.busy) / static_cast<double>(s.t1 - s.t0));
          c = (c & 0x00ffffffu) | (static_cast<ImU32>(90 + 165 * density) << 24);
        }
        dl->AddRectFilled(ImVec2(sx, top), ImVec2(ex, bottom), c);
        ++drawn;
        if (hovered && io.MousePos.x >= sx - 1 && io.MousePos.x <= ex + 1 && io.MousePos.y >= top &&
            io.MousePos.y <= bottom)
          hover = &s;
      }
    };
    draw_spans(lane.offcpu, y + lane_h * 0.08f, y + lane_h * 0.92f, false);
    draw_spans(lane.syscalls, y + lane_h * 0.22f, y + lane_h * 0.78f, false);
    draw_spans(lane.ticks, y + lane_h * 0.05f, y + lane_h * 0.30f, true);
  }
  // The phase's start and end, where the scenario marked them.
  if (v.phase_marked)
    for (const auto& [t, label] : {std::pair{v.t0, tr(p, "phase start")}, std::pair{v.t1, tr(p, "phase end")}}) {
      if (t < a || t > z) continue;
      const float px = std::clamp(X(t), x0 + 1.0f, x1 - 1.0f);
      for (float yy = o.y + axis_h; yy < o.y + h; yy += fs * 0.6f)
        dl->AddLine(ImVec2(px, yy), ImVec2(px, std::min(yy + fs * 0.35f, o.y + h)), col(palette::kPhase), 2.0f);
      const float lw = ImGui::CalcTextSize(label).x;
      const float lx = t == v.t0 ? px + fs * 0.2f : px - lw - fs * 0.2f;
      dl->AddText(ImVec2(lx, o.y + axis_h * 0.45f), col(palette::kPhase), label);
    }
  // The replay cursor.
  if (r->cursor >= a && r->cursor <= z) {
    const float cx = X(r->cursor);
    dl->AddLine(ImVec2(cx, o.y), ImVec2(cx, o.y + h), col(palette::kModeSwitch), 2.0f);
  }
  dl->PopClipRect();
  if (hover) event_tooltip(r->run, *hover, v, p);
  if (hover_lane && !hover) ImGui::SetTooltip("%s", lane_label(*hover_lane, p).c_str());

  // The key: what each colour and shape means, drawn as it is drawn above.
  draw_key(app, p, light);
  ImGui::TextDisabled("%s %s, %s %s", tr(p, "visible:"), format_duration(st.span).c_str(),
                      format_count(drawn).c_str(), tr(p, "shapes drawn"));
}

}  // namespace copyscope::ui
