#include "export/report.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "export/output_file.h"
#include "export/raster.h"
#include "model/format.h"
#include "model/lanes.h"
#include "model/palette.h"

namespace copyscope {

namespace {

// The charts' own ink on white; what they show takes model/palette.h's colours.
constexpr Rgb kInk{30, 30, 30}, kGrid{225, 225, 225}, kMuted{110, 110, 110};

std::string opt(const std::optional<double>& v) { return v ? format_figure(*v) : "-"; }

std::string mark(double measured, const std::optional<double>& tb) {
  if (!tb) return "";
  return std::llround(measured) == std::llround(*tb) ? " =" : " *";
}

// ---- charts -------------------------------------------------------------

struct Series {
  std::string name;
  Rgb color;
  std::vector<double> values;
  std::vector<std::optional<double>> textbook;  // drawn as a black tick
};

Canvas bar_chart(const std::string& title, const std::vector<std::string>& groups, const std::vector<Series>& series) {
  const int bar_w = 34, gap = 14, group_gap = 40, left = 70, top = 70, plot_h = 300, bottom = 90;
  const int group_w = static_cast<int>(series.size()) * (bar_w + 4) - 4;
  // Names alternate between two rows, so a group needs half its name's width.
  int slot = group_w + group_gap;
  for (const std::string& g : groups) slot = std::max(slot, Canvas::text_width(g) / 2 + 12);
  int width = left + static_cast<int>(groups.size()) * slot + 40;
  int legend_w = left + Canvas::text_width("textbook") + 60;
  for (const Series& s : series) legend_w += Canvas::text_width(s.name) + 46;
  width = std::max({width, legend_w, 640});
  Canvas c(width, top + plot_h + bottom);
  c.text(left, 14, title, kInk, 3);
  double vmax = 1;
  for (const Series& s : series) {
    for (double v : s.values) vmax = std::max(vmax, v);
    for (const auto& t : s.textbook)
      if (t) vmax = std::max(vmax, *t);
  }
  // Round the axis up to 1, 2 or 5 times a power of ten.
  const double mag = std::pow(10.0, std::floor(std::log10(vmax)));
  double top_v = mag;
  int ticks = 4;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= vmax) {
      top_v = m * mag;
      ticks = m == 5.0 ? 5 : 4;
      break;
    }
  const int y0 = top + plot_h;
  auto ypos = [&](double v) { return y0 - v / top_v * plot_h; };
  for (int i = 0; i <= ticks; ++i) {
    const double v = top_v * i / ticks;
    c.line(left, ypos(v), width - 20, ypos(v), kGrid);
    const std::string label = format_figure(v, 3);
    c.text(left - 8 - Canvas::text_width(label), ypos(v) - 6, label, kMuted);
  }
  c.line(left, top - 5, left, y0, kInk, 2);
  c.line(left, y0, width - 20, y0, kInk, 2);
  for (size_t g = 0; g < groups.size(); ++g) {
    const int gx = left + gap + static_cast<int>(g) * slot + (slot - group_gap - group_w) / 2;
    for (size_t k = 0; k < series.size(); ++k) {
      const Series& s = series[k];
      const int x = gx + static_cast<int>(k) * (bar_w + 4);
      const double v = g < s.values.size() ? s.values[g] : 0;
      c.fill_rect(x, ypos(v), x + bar_w, y0, s.color);
      double label_at = v;
      if (g < s.textbook.size() && s.textbook[g]) {
        c.fill_rect(x - 3, ypos(*s.textbook[g]) - 2, x + bar_w + 3, ypos(*s.textbook[g]) + 2, kInk);
        label_at = std::max(label_at, *s.textbook[g]);
      }
      const std::string label = format_figure(v, 1);
      c.text(x + (bar_w - Canvas::text_width(label)) / 2.0, ypos(label_at) - 20, label, kInk);
    }
    std::string name = groups[g];
    c.text(gx + (group_w - Canvas::text_width(name)) / 2.0, y0 + 10 + (g % 2) * 20, name, kInk);
  }
  // Legend.
  int lx = left;
  const int ly = top + plot_h + 62;
  for (const Series& s : series) {
    c.fill_rect(lx, ly, lx + 16, ly + 16, s.color);
    c.text(lx + 22, ly + 2, s.name, kInk);
    lx += 22 + Canvas::text_width(s.name) + 24;
  }
  c.fill_rect(lx, ly + 6, lx + 22, ly + 10, kInk);
  c.text(lx + 28, ly + 2, "textbook", kInk);
  return c;
}

// Colours by order of first use, so the few syscalls of one excerpt never share one.
Rgb syscall_color(unsigned sys, std::map<unsigned, size_t>& order) {
  auto it = order.emplace(sys, order.size()).first;
  return palette::kSyscalls[it->second % std::size(palette::kSyscalls)];
}

// The first stretch of the transfer: every thread's syscall spans and the
// disk requests in flight, on one time axis.
Canvas timeline_chart(const Run& run) {
  std::vector<const Event*> spans;
  for (const Event& e : run.events)
    if (e.type == CS_EV_SYSCALL || e.type == CS_EV_BLOCK) spans.push_back(&e);
  std::sort(spans.begin(), spans.end(), [](const Event* a, const Event* b) { return a->ts < b->ts; });
  uint64_t t0 = 0, t1 = 1;
  if (!spans.empty()) {
    t0 = spans.front()->ts;
    size_t last = std::min<size_t>(spans.size(), 60) - 1;
    t1 = t0 + 1;
    for (size_t i = 0; i <= last; ++i) t1 = std::max<uint64_t>(t1, spans[i]->ts + std::max<uint64_t>(spans[i]->dur, 1));
  }
  // Lanes: threads (sender first), then disk lanes.
  std::map<std::pair<uint8_t, uint32_t>, int> thread_lane;
  for (const Event* e : spans)
    if (e->type == CS_EV_SYSCALL && e->ts < t1) thread_lane.emplace(std::make_pair(e->role, e->tid), 0);
  int n = 0;
  for (auto& [k, lane] : thread_lane) lane = n++;
  LaneAllocator disk;
  std::vector<std::pair<const Event*, int>> placed;
  for (const Event* e : spans) {
    if (e->ts >= t1) continue;
    if (e->type == CS_EV_SYSCALL)
      placed.push_back({e, thread_lane[{e->role, e->tid}]});
    else
      placed.push_back({e, n + static_cast<int>(disk.place(e->ts, e->ts + e->dur))});
  }
  const int disk_lanes = static_cast<int>(disk.count());
  const int lanes = std::max(1, n + disk_lanes);
  const int left = 190, top = 60, lane_h = 30, width = 1100, right = 60;
  Canvas c(width, top + lanes * lane_h + 110);
  const std::string shown = format_duration(static_cast<double>(t1 - t0));
  c.text(16, 14, "timeline excerpt: " + run.params.method + " (first " + shown + ")", kInk, 3);
  const double scale = (width - left - right) / static_cast<double>(t1 - t0);
  auto xpos = [&](uint64_t ts) { return left + (ts - t0) * scale; };
  // Each lane's name after a mark in its role's colour, as in the window's timeline.
  auto lane_label = [&](int lane, Rgb mark, const std::string& label) {
    c.fill_rect(10, top + lane * lane_h + 7, 15, top + (lane + 1) * lane_h - 7, mark);
    c.text(22, top + lane * lane_h + 8, label, kInk);
  };
  for (auto& [k, lane] : thread_lane) {
    const bool sink = k.first == CS_ROLE_RECEIVER;
    lane_label(lane, sink ? palette::kReceiver : palette::kSender,
               std::string(sink ? "receiver" : "sender") + " " + std::to_string(k.second));
  }
  for (int l = 0; l < disk_lanes; ++l) lane_label(n + l, palette::kBlockIo, "disk I/O " + std::to_string(l + 1));
  for (int l = 0; l <= lanes; ++l) c.line(left, top + l * lane_h, width - right, top + l * lane_h, kGrid);
  std::map<unsigned, bool> used;
  std::map<unsigned, size_t> order;
  for (const auto& [e, lane] : placed) {
    const double x0 = xpos(e->ts), x1 = std::max(x0 + 1.5, xpos(std::min<uint64_t>(e->ts + e->dur, t1)));
    const double y = top + lane * lane_h;
    Rgb col = e->type == CS_EV_BLOCK ? palette::kBlockIo : syscall_color(e->sys, order);
    if (e->type == CS_EV_SYSCALL) used[e->sys] = true;
    c.fill_rect(x0, y + 5, x1, y + lane_h - 5, col);
  }
  const int axis_y = top + lanes * lane_h;
  c.line(left, axis_y, width - right, axis_y, kInk, 2);
  for (int i = 0; i <= 5; ++i) {
    const double x = left + (width - left - right) * i / 5.0;
    c.line(x, axis_y, x, axis_y + 6, kInk, 2);
    const std::string label = format_duration(static_cast<double>(t1 - t0) * i / 5.0);
    c.text(x - Canvas::text_width(label) / 2.0, axis_y + 12, label, kMuted);
  }
  int lx = left;
  const int ly = axis_y + 50;
  for (const auto& [sys, _] : used) {
    c.fill_rect(lx, ly, lx + 16, ly + 16, syscall_color(sys, order));
    c.text(lx + 22, ly + 2, syscall_name(sys), kInk);
    lx += 22 + Canvas::text_width(syscall_name(sys)) + 24;
  }
  c.fill_rect(lx, ly, lx + 16, ly + 16, palette::kBlockIo);
  c.text(lx + 22, ly + 2, "block I/O (disk DMA)", kInk);
  return c;
}

// ---- text ---------------------------------------------------------------

std::string html_escape(const std::string& s) {
  std::string o;
  for (char ch : s) switch (ch) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += ch;
    }
  return o;
}

std::string md_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '|' || ch == '*' || ch == '_' || ch == '`') o += '\\';
    o += ch == '\n' ? ' ' : ch;
  }
  return o;
}

std::string words(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_number()) return format_figure(v.get<double>());
  if (v.is_null()) return "-";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Table comparison(const std::vector<Summary>& ss) {
  Table t;
  t.header = {"method",
              "sink",
              "cache",
              "bytes",
              "time",
              "throughput",
              "mode switches / unit (textbook)",
              "CPU copies / unit (textbook)",
              "DMA copies / unit (textbook)",
              "context switches",
              "page faults",
              "events dropped"};
  for (const Summary& s : ss)
    t.rows.push_back({s.params.method + (s.partial ? " (partial)" : ""), s.params.sink, s.params.cache,
                      format_bytes(s.bytes), format_duration(static_cast<double>(s.duration_ns)),
                      format_rate(s.throughput_mib_s * kMiB),
                      format_figure(s.per_call.mode_switches) + " (" + opt(s.textbook.mode_switches) + ")" +
                          mark(s.per_call.mode_switches, s.textbook.mode_switches),
                      format_figure(s.per_call.cpu_copies) + " (" + opt(s.textbook.cpu_copies) + ")" +
                          mark(s.per_call.cpu_copies, s.textbook.cpu_copies),
                      format_figure(s.per_call.dma_copies) + " (" + opt(s.textbook.dma_copies) + ")" +
                          mark(s.per_call.dma_copies, s.textbook.dma_copies),
                      format_count(s.counters.context_switches), format_count(s.counters.page_faults),
                      format_count(s.counters.events_dropped)});
  return t;
}

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string stem(const std::string& path) {
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path;
  return path.substr(0, dot);
}

struct Chart {
  std::string file;  // beside the report
  std::string caption;
};

}  // namespace

void write_report(const std::vector<Run>& runs, const std::vector<Summary>& ss, const std::string& path) {
  std::vector<const Run*> refs;
  for (const Run& r : runs) refs.push_back(&r);
  write_report(refs, ss, path);
}

void write_report(const std::vector<const Run*>& runs, const std::vector<Summary>& ss, const std::string& path) {
  if (ss.empty()) throw std::runtime_error("report " + path + ": no runs to report");
  const bool html =
      path.size() >= 5 && (path.substr(path.size() - 5) == ".html" || path.substr(path.size() - 4) == ".htm");

  // Charts first: the report refers to them by name.
  std::vector<Chart> charts;
  std::vector<std::string> groups;
  Series cpu{"CPU copies / unit", palette::kCpuCopy, {}, {}}, dma{"DMA copies / unit", palette::kDma, {}, {}};
  Series mode{"mode switches / unit", palette::kModeSwitch, {}, {}};
  Series ctx{"context switches / unit", palette::kContextSwitch, {}, {}};
  for (const Summary& s : ss) {
    groups.push_back(s.params.method);
    cpu.values.push_back(s.per_call.cpu_copies);
    cpu.textbook.push_back(s.textbook.cpu_copies);
    dma.values.push_back(s.per_call.dma_copies);
    dma.textbook.push_back(s.textbook.dma_copies);
    mode.values.push_back(s.per_call.mode_switches);
    mode.textbook.push_back(s.textbook.mode_switches);
    ctx.values.push_back(s.per_call.context_switches);
    ctx.textbook.push_back(std::nullopt);
  }
  // Every file is written under a temp name first and renamed only once all
  // of them are complete: a failure leaves none of them, a planted symlink at
  // any of their names is replaced, never followed.
  const std::vector<std::string> names = report_files(path, runs.size());
  std::vector<std::unique_ptr<OutputFile>> files;
  auto save = [&files](const std::string& file, const Canvas& canvas) {
    files.push_back(std::make_unique<OutputFile>(file, "chart"));
    files.back()->write(canvas.png());
  };
  save(names[1], bar_chart("Copies per transfer unit", groups, {cpu, dma}));
  charts.push_back(
      {base_name(names[1]), "Copies per transfer unit, measured (bars) against the textbook (black marks)."});
  save(names[2], bar_chart("Switches per transfer unit", groups, {mode, ctx}));
  charts.push_back(
      {base_name(names[2]), "User/kernel mode switches and scheduler context switches per transfer unit."});
  for (size_t i = 0; i < runs.size() && i < kMaxTimelineCharts; ++i) {
    if (runs[i]->events.empty()) continue;
    // Named by position: the method name may come from a trace, and a name
    // from a trace never becomes part of a path.
    save(names[3 + i], timeline_chart(*runs[i]));
    charts.push_back({base_name(names[3 + i]), "Timeline excerpt of " + runs[i]->params.method +
                                                   ": syscall spans per thread and disk requests in flight."});
  }

  const Summary& first = ss.front();
  bool one_sink = true;
  for (const Summary& s : ss) one_sink &= s.params.sink == first.params.sink;
  const std::string sink = one_sink ? first.params.sink : "per method (see the table)";
  const Table table = comparison(ss);
  std::ostringstream o;
  if (html) {
    o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>copyscope report</title>\n"
         "<style>body{font-family:sans-serif;max-width:1150px;margin:2em auto;color:#222;line-height:1.45}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}"
         "td:first-child,th:first-child{text-align:left}th{background:#eee}figure{margin:1.5em 0}"
         "img{max-width:100%;border:1px solid #ddd}figcaption{color:#555;font-size:90%}"
         ".text td,.text th{text-align:left}.dev{margin:.3em 0}.note{color:#555}</style></head><body>\n";
    o << "<h1>copyscope report</h1>\n";
    o << "<h2>Parameters</h2>\n<table><tr><th>size</th><th>buffer</th><th>cache</th><th>sink</th></tr><tr><td>"
      << format_bytes(first.params.size) << "</td><td>" << format_bytes(first.params.buffer) << "</td><td>"
      << html_escape(first.params.cache) << "</td><td>" << html_escape(sink) << "</td></tr></table>\n";
    o << "<h2>Kernel and accounting</h2>\n<p>Kernel <b>" << html_escape(first.kernel.release)
      << "</b>; CPU copies are <b>" << html_escape(first.kernel.copy_accounting) << "</b>"
      << (first.kernel.copy_accounting == "measured"
              ? " (the copy routines were hooked)."
              : " from syscall results and fd kinds (the copy routines could not "
                "be hooked on this kernel).")
      << (first.kernel.copy_accounting_why.empty() ? std::string()
                                                   : " " + html_escape(first.kernel.copy_accounting_why) + ".")
      << "</p>\n";
    if (!first.kernel.hooks.empty()) {
      size_t attached = 0;
      for (const Hook& h : first.kernel.hooks) attached += h.status == "attached";
      o << "<details><summary>" << attached << " of " << first.kernel.hooks.size()
        << " probes attached (the list)</summary>\n<table "
           "class=\"text\"><tr><th>hook</th><th>status</th><th>detail</th></tr>\n";
      for (const Hook& h : first.kernel.hooks)
        o << "<tr><td>" << html_escape(h.name) << "</td><td>" << html_escape(h.status) << "</td><td>"
          << html_escape(h.detail) << "</td></tr>\n";
      o << "</table></details>\n";
    }
    o << "<h2>Comparison</h2>\n<table><tr>";
    for (const auto& h : table.header) o << "<th>" << html_escape(h) << "</th>";
    o << "</tr>\n";
    for (const auto& row : table.rows) {
      o << "<tr>";
      for (const auto& f : row) o << "<td>" << html_escape(f) << "</td>";
      o << "</tr>\n";
    }
    o << "</table>\n<p class=\"note\">= matches the textbook, * differs (explained below). A transfer unit is one "
         "chunk (one pass of the method's loop).</p>\n<h2>Charts</h2>\n";
    for (const Chart& ch : charts)
      o << "<figure><img src=\"" << html_escape(ch.file) << "\" alt=\"" << html_escape(ch.caption) << "\"><figcaption>"
        << html_escape(ch.caption) << "</figcaption></figure>\n";
    o << "<h2>Where the measurement differs from the textbook, and why</h2>\n";
    for (const Summary& s : ss) {
      o << "<h3>" << html_escape(s.params.method) << "</h3>\n";
      if (!s.row_title.en.empty()) o << "<p>Textbook row: <b>" << html_escape(s.row_title.en) << "</b>.</p>\n";
      if (!s.stages.empty()) {
        o << "<table class=\"text\"><tr><th>stage</th><th>from</th><th>to</th><th>bytes</th><th>accounting</th>"
             "<th>why</th></tr>\n";
        for (const Stage& st : s.stages)
          o << "<tr><td>" << stage_kind_name(st.kind) << "</td><td>" << html_escape(words(st.from)) << "</td><td>"
            << html_escape(words(st.to)) << "</td><td>" << format_bytes(st.bytes) << "</td><td>"
            << html_escape(st.accounting) << "</td><td>" << html_escape(st.rule) << "</td></tr>\n";
        o << "</table>\n";
      }
      if (s.deviations.empty()) o << "<p>Matches the textbook.</p>\n";
      for (const auto& d : s.deviations)
        o << "<p class=\"dev\"><b>" << html_escape(words(d.what)) << "</b>: textbook "
          << html_escape(value_text(d.textbook)) << ", measured " << html_escape(value_text(d.measured))
          << (d.attributed.is_null() ? std::string()
                                     : ", attribution would say " + html_escape(value_text(d.attributed)))
          << ". " << html_escape(d.why) << "</p>\n";
      for (const auto& n : s.notes) o << "<p class=\"note\">" << html_escape(n) << "</p>\n";
    }
    o << "</body></html>\n";
  } else {
    o << "# copyscope report\n\n## Parameters\n\n| size | buffer | cache | sink |\n|---|---|---|---|\n| "
      << format_bytes(first.params.size) << " | " << format_bytes(first.params.buffer) << " | "
      << md_escape(first.params.cache) << " | " << md_escape(sink) << " |\n\n";
    o << "## Kernel and accounting\n\nKernel **" << md_escape(first.kernel.release) << "**; CPU copies are **"
      << first.kernel.copy_accounting << "**"
      << (first.kernel.copy_accounting == "measured" ? " (the copy routines were hooked)."
                                                     : " from syscall results and fd kinds (the copy routines could "
                                                       "not be hooked on this kernel).")
      << (first.kernel.copy_accounting_why.empty() ? std::string()
                                                   : " " + md_escape(first.kernel.copy_accounting_why) + ".")
      << "\n\n";
    if (!first.kernel.hooks.empty()) {
      o << "| hook | status | detail |\n|---|---|---|\n";
      for (const Hook& h : first.kernel.hooks)
        o << "| " << md_escape(h.name) << " | " << md_escape(h.status) << " | " << md_escape(h.detail) << " |\n";
      o << "\n";
    }
    o << "## Comparison\n\n|";
    for (const auto& h : table.header) o << " " << md_escape(h) << " |";
    o << "\n|";
    for (size_t i = 0; i < table.header.size(); ++i) o << (i ? "---:|" : "---|");
    o << "\n";
    for (const auto& row : table.rows) {
      o << "|";
      for (const auto& f : row) o << " " << md_escape(f) << " |";
      o << "\n";
    }
    o << "\n= matches the textbook, \\* differs (explained below). A transfer unit is one chunk (one pass of the "
         "method's loop).\n\n## Charts\n\n";
    for (const Chart& ch : charts)
      o << "![" << md_escape(ch.caption) << "](" << ch.file << ")\n\n" << ch.caption << "\n\n";
    o << "## Where the measurement differs from the textbook, and why\n\n";
    for (const Summary& s : ss) {
      o << "### " << md_escape(s.params.method) << "\n\n";
      if (!s.row_title.en.empty()) o << "Textbook row: **" << md_escape(s.row_title.en) << "**.\n\n";
      if (!s.stages.empty()) {
        o << "| stage | from | to | bytes | accounting | why |\n|---|---|---|---:|---|---|\n";
        for (const Stage& st : s.stages)
          o << "| " << stage_kind_name(st.kind) << " | " << md_escape(words(st.from)) << " | "
            << md_escape(words(st.to)) << " | " << format_bytes(st.bytes) << " | " << md_escape(st.accounting) << " | "
            << md_escape(st.rule) << " |\n";
        o << "\n";
      }
      if (s.deviations.empty()) o << "Matches the textbook.\n\n";
      for (const auto& d : s.deviations)
        o << "- **" << md_escape(words(d.what)) << "**: textbook " << md_escape(value_text(d.textbook)) << ", measured "
          << md_escape(value_text(d.measured))
          << (d.attributed.is_null() ? std::string() : ", attribution would say " + md_escape(value_text(d.attributed)))
          << ". " << md_escape(d.why) << "\n";
      for (const auto& n : s.notes) o << "- _note_: " << md_escape(n) << "\n";
      o << "\n";
    }
  }
  OutputFile report(path, "report");
  report.write(o.str());
  for (auto& f : files) f->commit();
  report.commit();
}

std::vector<std::string> report_files(const std::string& path, size_t runs) {
  const std::string base = stem(path);
  std::vector<std::string> names = {path, base + "-copies.png", base + "-switches.png"};
  for (size_t i = 0; i < runs && i < kMaxTimelineCharts; ++i)
    names.push_back(base + "-timeline-" + std::to_string(i + 1) + ".png");
  return names;
}

}  // namespace copyscope
