#include "stress/point.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tofu::stress {
namespace {

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace

absl::string_view TransportName(Transport transport) {
  return transport == Transport::kTcp ? "tcp" : "uds";
}

absl::string_view PatternName(Pattern pattern) {
  return pattern == Pattern::kEcho ? "echo" : "stream";
}

std::string DescribePoint(const PointSpec& spec) {
  return absl::StrCat(TransportName(spec.transport), " ",
                      PatternName(spec.pattern), " ", spec.connections,
                      spec.connections == 1 ? " conn " : " conns ", spec.size,
                      " B", spec.churn ? " churn" : "");
}

void Violations::Add(std::string text) {
  ++count;
  if (first.size() < kKept) first.push_back(std::move(text));
}

void Violations::Merge(const Violations& other) {
  count += other.count;
  for (const std::string& text : other.first) {
    if (first.size() >= kKept) break;
    first.push_back(text);
  }
}

double PointResult::MessagesPerSecond() const {
  return elapsed > absl::ZeroDuration()
             ? static_cast<double>(messages) / Seconds(elapsed)
             : 0.0;
}

double PointResult::MegabytesPerSecond() const {
  return elapsed > absl::ZeroDuration()
             ? static_cast<double>(body_bytes) / 1e6 / Seconds(elapsed)
             : 0.0;
}

double PointResult::VerifyNanosPerMessage() const {
  return messages > 0 ? absl::ToDoubleNanoseconds(verify_time) /
                            static_cast<double>(messages)
                      : 0.0;
}

double PointResult::VerifyShareOfCpu() const {
  return cpu > absl::ZeroDuration() ? absl::FDivDuration(verify_time, cpu)
                                    : 0.0;
}

bool AllPassed(const std::vector<PointResult>& results) {
  if (results.empty()) return false;
  for (const PointResult& r : results) {
    if (!r.passed()) return false;
  }
  return true;
}

}  // namespace tofu::stress
