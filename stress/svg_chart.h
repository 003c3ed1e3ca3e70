#ifndef TOFU_STRESS_SVG_CHART_H_
#define TOFU_STRESS_SVG_CHART_H_

// The sweep as a picture: one self-contained SVG document (no scripts, no
// external fonts or files) that a browser opens directly. Two panels share the
// x axis, connections on a log scale: throughput (messages/s) and p99 round
// trip latency, both on log scales. One line per transport, pattern and body
// size: colour by size, solid for tcp and dashed for uds, round markers for
// echo and square ones for streams (hollow under churn). Hovering a marker
// shows its values. Pure function.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "stress/point.h"

namespace tofu::stress {

// `subtitle` (e.g. the machine and the flags) goes under the title. Points
// without a positive value for a panel (streams have no latency) are left out
// of it; a panel with nothing to show says "no data".
std::string FormatSvgChart(const std::vector<PointResult>& results,
                           absl::string_view subtitle);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_SVG_CHART_H_
