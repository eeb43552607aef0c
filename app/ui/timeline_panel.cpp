// Timeline: a lane per thread (and one for the disk). Syscall spans, off-CPU
// spans between sched out and in, block I/O, faults and transmits as ticks.
// Wheel zooms around the mouse, dragging pans, hovering shows the event.
// Spans come from per-lane levels of detail (run_view.cpp), so the number of
// shapes drawn follows the width in pixels, not the number of events.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/format.h"
#include "ui/app.h"
#include "ui/draw.h"

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
                L(p, "events merged at this zoom: zoom in to see each", "个事件在此缩放级别下合并：放大可逐个查看"));
    ImGui::Text("%s .. %s", format_duration(static_cast<double>(s.t0 - v.t0)).c_str(),
                format_duration(static_cast<double>(s.t1 - v.t0)).c_str());
    ImGui::EndTooltip();
    return;
  }
  const Event& e = run.events[s.event];
  const char* type = event_type_name(e.type);
  if (s.key == kOffCpu) type = "off CPU (sched out .. in)";
  ImGui::Text("%s", type);
  if (e.type == CS_EV_SYSCALL && s.key != kOffCpu) {
    ImGui::Text("%s(%s -> %s)  ret %lld", syscall_name(e.sys), fd_kind_name(e.a), fd_kind_name(e.b),
                static_cast<long long>(e.ret));
    ImGui::Text("count %s%s", format_bytes(e.arg1 & ~CS_COUNT_MSG_ZEROCOPY).c_str(),
                (e.arg1 & CS_COUNT_MSG_ZEROCOPY) ? ", MSG_ZEROCOPY" : "");
  } else if (e.type == CS_EV_BLOCK) {
    ImGui::Text("%s sector %llu, %s", e.a ? "write" : "read", static_cast<unsigned long long>(e.arg0),
                format_bytes(e.arg1).c_str());
  } else if (e.type == CS_EV_FAULT) {
    ImGui::Text("%s fault at 0x%llx", e.a ? "user" : "kernel", static_cast<unsigned long long>(e.arg0));
  } else if (e.type == CS_EV_NET_XMIT) {
    ImGui::Text("%s %s", format_bytes(e.arg1).c_str(), e.a ? "on loopback" : "to a NIC");
  }
  ImGui::Text("t = %s, %s %s", format_duration(static_cast<double>(s.t0 - std::min(s.t0, v.t0))).c_str(),
              L(p, "duration", "时长"), format_duration(static_cast<double>(s.t1 - s.t0)).c_str());
  ImGui::Text("tid %u, cpu %u", e.tid, e.cpu);
  ImGui::EndTooltip();
}

}  // namespace

void draw_timeline_panel(App& app) {
  static TimelineState st;
  const UiPrefs& p = app.prefs;
  SessionRun* r = app.session.current();
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(L(p, "Timeline", "时间线"));
  ImGui::PopFont();
  if (!r) {
    ImGui::TextWrapped("%s", L(p, "Run a scenario or open a recording to see its timeline.",
                               "运行一个场景或打开录制文件即可看到时间线。"));
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
                      L(p, "events", "个事件"),
                      L(p, "wheel: zoom, drag: pan, double-click: reset", "滚轮缩放，拖动平移，双击复位"));
  // What the timeline misses, on a line of its own (wrapped: it is long in either language).
  if (v.events_dropped || v.event_stride > 1) {
    ImGui::PushStyleColor(ImGuiCol_Text, col(palette::kDiffers));
    if (v.events_dropped)
      ImGui::TextWrapped("%s %s", format_count(v.events_dropped).c_str(),
                         L(p, "events dropped (ring buffer full): missing here, counters exact",
                           "个事件被丢弃（环形缓冲区已满）：此处缺失，计数仍精确"));
    if (v.event_stride > 1)
      ImGui::TextWrapped(L(p, "Memory budget: shown are the events of 1 in %u of the 1 ms windows; counters exact",
                           "内存预算：每 %u 个 1 毫秒窗口只显示一个窗口的事件；计数仍精确"),
                         v.event_stride);
    ImGui::PopStyleColor();
  }

  const float fs = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  float name_w = fs * 4;
  const float mark_w = fs * 0.25f;  // the lane's role, left of its name
  for (const Lane& l : v.lanes) name_w = std::max(name_w, ImGui::CalcTextSize(l.name.c_str()).x + fs + mark_w * 2);
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
  size_t drawn = 0;
  for (size_t li = 0; li < v.lanes.size(); ++li) {
    const Lane& lane = v.lanes[li];
    const float y = o.y + axis_h + lane_h * static_cast<float>(li);
    if (li % 2)
      dl->AddRectFilled(ImVec2(o.x, y), ImVec2(x1, y + lane_h),
                        light ? IM_COL32(0, 0, 0, 12) : IM_COL32(255, 255, 255, 10));
    std::string name = lane.name;
    if (p.lang == "zh") {  // run_view names lanes in English; the words are few
      for (auto [en, zh] : {std::pair{"sender", "发送方"},
                            {"receiver", "接收方"},
                            {"disk (block I/O)", "磁盘（块 I/O）"},
                            {"softirq / IRQ", "软中断 / 中断"}})
        if (name.rfind(en, 0) == 0) name = zh + name.substr(std::string(en).size());
    }
    dl->AddRectFilled(ImVec2(o.x + fs * 0.2f, y + lane_h * 0.25f), ImVec2(o.x + fs * 0.2f + mark_w, y + lane_h * 0.75f),
                      col(lane_color(lane)));
    dl->AddText(ImVec2(o.x + fs * 0.3f + mark_w * 2, y + (lane_h - fs) * 0.5f), text, name.c_str());
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
  // The replay cursor.
  if (r->cursor >= a && r->cursor <= z) {
    const float cx = X(r->cursor);
    dl->AddLine(ImVec2(cx, o.y), ImVec2(cx, o.y + h), col(palette::kModeSwitch), 2.0f);
  }
  dl->PopClipRect();
  if (hover) event_tooltip(r->run, *hover, v, p);

  // Legend and level-of-detail figures.
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("%s",
                     L(p,
                       "colour = syscall; pale band = thread off CPU (sched out .. in); blue = block I/O (disk DMA); "
                       "pink tick = page fault; green tick = transmit",
                       "颜色 = 系统调用；浅色带 = 线程不在 CPU 上（调度出..调度入）；蓝色 = 块 I/O（磁盘 "
                       "DMA）；粉色刻度 = 缺页；绿色刻度 = 发送"));
  ImGui::PopStyleColor();
  ImGui::TextDisabled("%s %s, %s %s", L(p, "visible:", "可见范围："), format_duration(st.span).c_str(),
                      format_count(drawn).c_str(), L(p, "shapes drawn", "个图形"));
}

}  // namespace copyscope::ui
