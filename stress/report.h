#ifndef TOFU_STRESS_REPORT_H_
#define TOFU_STRESS_REPORT_H_

// The sweep's results as text: an aligned table for the terminal, CSV and
// JSON for other tools. (The chart is stress/svg_chart.h.) Pure functions.

#include <string>
#include <vector>

#include "stress/point.h"

namespace tofu::stress {

// Facts about the run that JSON records beside the points.
struct RunInfo {
  int cpus = 0;         // hardware threads of the machine
  std::string command;  // the command line
};

// One header line, then one line per point, columns aligned; "-" where a
// value does not apply (latency of streams, messages of timed runs).
std::string FormatTable(const std::vector<PointResult>& results);

// RFC 4180: a header row, then one row per point, CRLF-free ("\n" endings),
// fields quoted only when they need it. Same fields as JSON.
std::string FormatCsv(const std::vector<PointResult>& results);

// {"cpus":..,"command":..,"passed":..,"points":[{field:value,...},...]}
std::string FormatJson(const std::vector<PointResult>& results,
                       const RunInfo& info);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_REPORT_H_
