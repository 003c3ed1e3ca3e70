#ifndef TOFU_STRESS_PROGRESS_H_
#define TOFU_STRESS_PROGRESS_H_

// Shows a running sweep on stderr: on a terminal, one status line redrawn in
// place while each point runs (and erased at the end); otherwise (a log, a
// pipe) one line per finished point.

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "stress/point.h"
#include "stress/sweep_observer.h"

namespace tofu::stress {

// "[3/24] tcp echo 100 conns 1024 B: 41% (8200/20000 messages, 1.2 s)"; with
// `expected` 0 (a timed point) the percentage is left out.
std::string ProgressLine(int index, int count, const PointSpec& spec,
                         uint64_t expected, uint64_t done,
                         absl::Duration elapsed);

// "[3/24] tcp echo 100 conns 1024 B: ok, 20000 messages in 0.520 s, 38462
// msg/s, 39.38 MB/s, rtt p99 412.0 us" or "...: FAILED (2 errors): <first>".
std::string FinishedLine(int index, int count, const PointResult& result);

// Not thread-safe: the sweep calls it from one thread.
class ProgressPrinter : public SweepObserver {
 public:
  // `out` (std::cerr, say) must outlive the printer.
  ProgressPrinter(std::ostream& out, bool interactive)
      : out_(out), interactive_(interactive) {}
  ~ProgressPrinter() override;  // erases the status line

  void PointStarted(int index, int count, const PointSpec& spec,
                    uint64_t expected_messages) override;
  void PointProgress(uint64_t messages, absl::Duration elapsed) override;
  void PointFinished(int index, int count, const PointResult& result) override;

 private:
  void Redraw(const std::string& line);

  std::ostream& out_;
  const bool interactive_;
  int index_ = 0;
  int count_ = 0;
  PointSpec spec_;
  uint64_t expected_ = 0;
  bool line_shown_ = false;
};

}  // namespace tofu::stress

#endif  // TOFU_STRESS_PROGRESS_H_
