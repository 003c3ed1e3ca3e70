#include "stress/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tofu::stress {
namespace {

constexpr double kWidth = 1100;
constexpr double kPanelTop = 80;
constexpr double kPanelHeight = 330;
constexpr double kPanelWidth = 420;
constexpr double kPanelLeft[2] = {90, 630};
constexpr double kLegendTop = kPanelTop + kPanelHeight + 70;
constexpr double kLegendColumn = 250;
constexpr double kLegendRow = 20;
constexpr const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                    "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

std::string Escape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(double v) { return absl::StrFormat("%.1f", v); }

// 1, 10, 1k, 10k, 1M: for messages/s and connection counts.
std::string Si(double v) {
  if (v >= 1e6) return absl::StrFormat("%gM", v / 1e6);
  if (v >= 1e3) return absl::StrFormat("%gk", v / 1e3);
  return absl::StrFormat("%g", v);
}

// Microseconds as "50 µs", "2 ms", "1 s".
std::string Micros(double us) {
  if (us >= 1e6) return absl::StrFormat("%g s", us / 1e6);
  if (us >= 1e3) return absl::StrFormat("%g ms", us / 1e3);
  return absl::StrFormat("%g \xC2\xB5s", us);
}

// A log10 axis over whole decades [10^lo, 10^hi].
struct LogAxis {
  int lo = 0;
  int hi = 1;

  static LogAxis Fit(double min, double max) {
    LogAxis a;
    a.lo = static_cast<int>(std::floor(std::log10(min)));
    a.hi = static_cast<int>(std::ceil(std::log10(max)));
    if (a.hi <= a.lo) a.hi = a.lo + 1;
    return a;
  }
  // 0 at 10^lo, 1 at 10^hi.
  double Fraction(double v) const {
    return (std::log10(v) - lo) / static_cast<double>(hi - lo);
  }
  // Tick values: every 1..9 x 10^k; `labelled` says which carry a label
  // (decades; also 2 and 5 when the axis spans at most two decades).
  std::vector<std::pair<double, bool>> Ticks() const {
    std::vector<std::pair<double, bool>> ticks;
    for (int e = lo; e <= hi; ++e) {
      for (int m = 1; m <= (e == hi ? 1 : 9); ++m) {
        const bool label = m == 1 || (hi - lo <= 2 && (m == 2 || m == 5));
        ticks.emplace_back(m * std::pow(10.0, e), label);
      }
    }
    return ticks;
  }
};

struct SeriesKey {
  Transport transport;
  Pattern pattern;
  bool churn;
  int size;
  friend bool operator<(const SeriesKey& a, const SeriesKey& b) {
    return std::tie(a.transport, a.pattern, a.churn, a.size) <
           std::tie(b.transport, b.pattern, b.churn, b.size);
  }
};

struct Style {
  std::string colour;
  bool dashed;
  bool square;
  bool hollow;
};

std::string Label(const SeriesKey& k) {
  return absl::StrCat(TransportName(k.transport), " ", PatternName(k.pattern),
                      k.churn ? "+churn" : "", " ", k.size, " B");
}

std::string Marker(const Style& s, double x, double y,
                   const std::string& tooltip) {
  const std::string fill = s.hollow ? "white" : s.colour;
  const std::string shape =
      s.square ? absl::StrCat("<rect x=\"", Num(x - 3.5), "\" y=\"",
                              Num(y - 3.5), "\" width=\"7\" height=\"7\"")
               : absl::StrCat("<circle cx=\"", Num(x), "\" cy=\"", Num(y),
                              "\" r=\"4\"");
  return absl::StrCat(
      shape, " fill=\"", fill, "\" stroke=\"", s.colour,
      "\" stroke-width=\"1.5\">",
      tooltip.empty() ? ""
                      : absl::StrCat("<title>", Escape(tooltip), "</title>"),
      s.square ? "</rect>\n" : "</circle>\n");
}

std::string LineSample(const Style& s, double x1, double x2, double y) {
  return absl::StrCat("<line x1=\"", Num(x1), "\" y1=\"", Num(y), "\" x2=\"",
                      Num(x2), "\" y2=\"", Num(y), "\" stroke=\"", s.colour,
                      "\" stroke-width=\"2\"",
                      s.dashed ? " stroke-dasharray=\"7 4\"" : "", "/>\n");
}

struct Panel {
  const char* title;
  const char* y_title;
  std::function<double(const PointResult&)> value;
  std::function<std::string(double)> format;
};

// Draws one panel at kPanelLeft[index].
std::string DrawPanel(
    int index, const Panel& panel,
    const std::map<SeriesKey, std::vector<const PointResult*>>& series,
    const std::map<SeriesKey, Style>& styles, const LogAxis& x_axis) {
  const double left = kPanelLeft[index];
  const double top = kPanelTop;
  const double right = left + kPanelWidth;
  const double bottom = top + kPanelHeight;
  std::string out = absl::StrCat("<g>\n<text x=\"", Num(left + kPanelWidth / 2),
                                 "\" y=\"", Num(top - 12),
                                 "\" text-anchor=\"middle\" font-size=\"14\" "
                                 "font-weight=\"bold\">",
                                 Escape(panel.title), "</text>\n");
  double y_min = 0;
  double y_max = 0;
  for (const auto& [key, points] : series) {
    for (const PointResult* r : points) {
      const double v = panel.value(*r);
      if (!(v > 0) || !std::isfinite(v)) continue;
      y_min = y_min == 0 ? v : std::min(y_min, v);
      y_max = std::max(y_max, v);
    }
  }
  // Frame and x axis.
  absl::StrAppend(&out, "<rect x=\"", Num(left), "\" y=\"", Num(top),
                  "\" width=\"", Num(kPanelWidth), "\" height=\"",
                  Num(kPanelHeight),
                  "\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>\n");
  for (const auto& [v, labelled] : x_axis.Ticks()) {
    const double x = left + x_axis.Fraction(v) * kPanelWidth;
    absl::StrAppend(&out, "<line x1=\"", Num(x), "\" y1=\"", Num(top),
                    "\" x2=\"", Num(x), "\" y2=\"", Num(bottom), "\" stroke=\"",
                    labelled ? "#ccc" : "#eee", "\"/>\n");
    if (labelled) {
      absl::StrAppend(&out, "<text x=\"", Num(x), "\" y=\"", Num(bottom + 16),
                      "\" text-anchor=\"middle\">", Escape(Si(v)), "</text>\n");
    }
  }
  absl::StrAppend(&out, "<text x=\"", Num(left + kPanelWidth / 2), "\" y=\"",
                  Num(bottom + 36),
                  "\" text-anchor=\"middle\">connections (log scale)</text>\n");
  const double y_title_x = left - 62;
  const double y_mid = top + kPanelHeight / 2;
  absl::StrAppend(&out, "<text x=\"", Num(y_title_x), "\" y=\"", Num(y_mid),
                  "\" text-anchor=\"middle\" transform=\"rotate(-90 ",
                  Num(y_title_x), " ", Num(y_mid), ")\">",
                  Escape(panel.y_title), "</text>\n");
  if (y_max <= 0) {
    absl::StrAppend(&out, "<text x=\"", Num(left + kPanelWidth / 2), "\" y=\"",
                    Num(y_mid),
                    "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n"
                    "</g>\n");
    return out;
  }
  const LogAxis y_axis = LogAxis::Fit(y_min, y_max);
  auto y_of = [&](double v) {
    return bottom - y_axis.Fraction(v) * kPanelHeight;
  };
  for (const auto& [v, labelled] : y_axis.Ticks()) {
    const double y = y_of(v);
    absl::StrAppend(&out, "<line x1=\"", Num(left), "\" y1=\"", Num(y),
                    "\" x2=\"", Num(right), "\" y2=\"", Num(y), "\" stroke=\"",
                    labelled ? "#ccc" : "#eee", "\"/>\n");
    if (labelled) {
      absl::StrAppend(&out, "<text x=\"", Num(left - 6), "\" y=\"", Num(y + 4),
                      "\" text-anchor=\"end\">", Escape(panel.format(v)),
                      "</text>\n");
    }
  }
  for (const auto& [key, points] : series) {
    const Style& style = styles.at(key);
    std::string polyline;
    std::string markers;
    for (const PointResult* r : points) {
      const double v = panel.value(*r);
      if (!(v > 0) || !std::isfinite(v)) continue;
      const double x =
          left + x_axis.Fraction(r->spec.connections) * kPanelWidth;
      const double y = y_of(v);
      absl::StrAppend(&polyline, polyline.empty() ? "" : " ", Num(x), ",",
                      Num(y));
      markers += Marker(style, x, y,
                        absl::StrCat(Label(key), ", ", r->spec.connections,
                                     " connections: ", panel.format(v)));
    }
    if (polyline.empty()) continue;
    absl::StrAppend(
        &out, "<polyline points=\"", polyline, "\" fill=\"none\" stroke=\"",
        style.colour, "\" stroke-width=\"2\"",
        style.dashed ? " stroke-dasharray=\"7 4\"" : "", "/>\n", markers);
  }
  absl::StrAppend(&out, "</g>\n");
  return out;
}

}  // namespace

std::string FormatSvgChart(const std::vector<PointResult>& results,
                           absl::string_view subtitle) {
  std::map<SeriesKey, std::vector<const PointResult*>> series;
  std::vector<int> sizes;
  double x_min = 0;
  double x_max = 0;
  for (const PointResult& r : results) {
    series[SeriesKey{r.spec.transport, r.spec.pattern, r.spec.churn,
                     r.spec.size}]
        .push_back(&r);
    sizes.push_back(r.spec.size);
    const double x = std::max(1, r.spec.connections);
    x_min = x_min == 0 ? x : std::min(x_min, x);
    x_max = std::max(x_max, x);
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  std::map<SeriesKey, Style> styles;
  for (auto& [key, points] : series) {
    std::sort(points.begin(), points.end(),
              [](const PointResult* a, const PointResult* b) {
                return a->spec.connections < b->spec.connections;
              });
    const size_t size_index =
        std::lower_bound(sizes.begin(), sizes.end(), key.size) - sizes.begin();
    styles[key] = Style{kColours[size_index % std::size(kColours)],
                        key.transport == Transport::kUds,
                        key.pattern == Pattern::kStream, key.churn};
  }
  const LogAxis x_axis = x_max > 0 ? LogAxis::Fit(x_min, x_max) : LogAxis{0, 1};

  const int legend_columns = static_cast<int>(kWidth / kLegendColumn);
  const int legend_rows =
      (static_cast<int>(series.size()) + legend_columns - 1) / legend_columns;
  const double height = kLegendTop + legend_rows * kLegendRow + 20;
  std::string out = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"",
      Num(kWidth), "\" height=\"", Num(height), "\" viewBox=\"0 0 ",
      Num(kWidth), " ", Num(height),
      "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"",
      Num(kWidth / 2),
      "\" y=\"26\" text-anchor=\"middle\" font-size=\"18\" "
      "font-weight=\"bold\">tofu stress sweep</text>\n"
      "<text x=\"",
      Num(kWidth / 2), "\" y=\"46\" text-anchor=\"middle\" fill=\"#555\">",
      Escape(subtitle), "</text>\n");
  const Panel panels[2] = {
      {"Throughput", "messages per second (log scale)",
       [](const PointResult& r) { return r.MessagesPerSecond(); }, Si},
      {"Round trip p99 (echo)", "p99 latency (log scale)",
       [](const PointResult& r) {
         return r.rtt.count > 0 ? absl::ToDoubleMicroseconds(r.rtt.p99) : 0.0;
       },
       Micros},
  };
  for (int i = 0; i < 2; ++i) {
    out += DrawPanel(i, panels[i], series, styles, x_axis);
  }
  int n = 0;
  for (const auto& [key, style] : styles) {
    const double x = 20 + (n % legend_columns) * kLegendColumn;
    const double y = kLegendTop + (n / legend_columns) * kLegendRow;
    out += LineSample(style, x, x + 36, y);
    out += Marker(style, x + 18, y, "");
    absl::StrAppend(&out, "<text x=\"", Num(x + 44), "\" y=\"", Num(y + 4),
                    "\">", Escape(Label(key)), "</text>\n");
    ++n;
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

}  // namespace tofu::stress
