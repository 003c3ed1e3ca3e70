#include "stress/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tofu::stress {
namespace {

std::string Prefix(int index, int count, const PointSpec& spec) {
  return absl::StrCat("[", index + 1, "/", count, "] ", DescribePoint(spec),
                      ": ");
}

}  // namespace

std::string ProgressLine(int index, int count, const PointSpec& spec,
                         uint64_t expected, uint64_t done,
                         absl::Duration elapsed) {
  const std::string seconds =
      absl::StrFormat("%.1f s", absl::ToDoubleSeconds(elapsed));
  if (expected == 0) {
    return absl::StrCat(Prefix(index, count, spec), done, " messages, ",
                        seconds);
  }
  return absl::StrCat(Prefix(index, count, spec),
                      std::min<uint64_t>(100, done * 100 / expected), "% (",
                      done, "/", expected, " messages, ", seconds, ")");
}

std::string FinishedLine(int index, int count, const PointResult& r) {
  if (!r.passed()) {
    const Violations& v = r.violations;
    return absl::StrCat(Prefix(index, count, r.spec), "FAILED (", v.count,
                        v.count == 1 ? " error" : " errors", ")",
                        v.first.empty() ? "" : ": ",
                        v.first.empty() ? "" : v.first.front());
  }
  std::string line =
      absl::StrFormat("%sok, %d messages in %.3f s, %.0f msg/s, %.2f MB/s",
                      Prefix(index, count, r.spec), r.messages,
                      absl::ToDoubleSeconds(r.elapsed), r.MessagesPerSecond(),
                      r.MegabytesPerSecond());
  if (r.rtt.count > 0) {
    absl::StrAppendFormat(&line, ", rtt p99 %.1f us",
                          absl::ToDoubleMicroseconds(r.rtt.p99));
  }
  return line;
}

ProgressPrinter::~ProgressPrinter() {
  if (line_shown_) out_ << "\r\x1b[K" << std::flush;
}

void ProgressPrinter::Redraw(const std::string& line) {
  // \x1b[K clears what a longer previous line left behind.
  out_ << "\r" << line << "\x1b[K" << std::flush;
  line_shown_ = true;
}

void ProgressPrinter::PointStarted(int index, int count, const PointSpec& spec,
                                   uint64_t expected_messages) {
  index_ = index;
  count_ = count;
  spec_ = spec;
  expected_ = expected_messages;
  if (interactive_) {
    Redraw(ProgressLine(index, count, spec, expected_messages, 0,
                        absl::ZeroDuration()));
  }
}

void ProgressPrinter::PointProgress(uint64_t messages, absl::Duration elapsed) {
  if (interactive_) {
    Redraw(ProgressLine(index_, count_, spec_, expected_, messages, elapsed));
  }
}

void ProgressPrinter::PointFinished(int index, int count,
                                    const PointResult& result) {
  if (interactive_) return;
  out_ << FinishedLine(index, count, result) << std::endl;
}

}  // namespace tofu::stress
