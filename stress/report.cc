#include "stress/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace tofu::stress {
namespace {

using Value = std::variant<std::string, uint64_t, double, bool>;

struct Field {
  const char* name;
  std::function<Value(const PointResult&)> get;
};

double Us(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

bool HasRtt(const PointResult& r) { return r.rtt.count > 0; }

// Every field CSV and JSON carry, in order.
const std::vector<Field>& Fields() {
  static const std::vector<Field>* const fields = new std::vector<Field>{
      {"transport",
       [](const PointResult& r) -> Value {
         return std::string(TransportName(r.spec.transport));
       }},
      {"pattern",
       [](const PointResult& r) -> Value {
         return std::string(PatternName(r.spec.pattern));
       }},
      {"churn", [](const PointResult& r) -> Value { return r.spec.churn; }},
      {"connections",
       [](const PointResult& r) -> Value {
         return static_cast<uint64_t>(r.spec.connections);
       }},
      {"size_bytes",
       [](const PointResult& r) -> Value {
         return static_cast<uint64_t>(r.spec.size);
       }},
      {"messages_per_connection",
       [](const PointResult& r) -> Value {
         return static_cast<uint64_t>(r.spec.messages);
       }},
      {"duration_s",
       [](const PointResult& r) -> Value {
         return absl::ToDoubleSeconds(r.spec.duration);
       }},
      {"pipeline",
       [](const PointResult& r) -> Value {
         return static_cast<uint64_t>(r.spec.pipeline);
       }},
      {"client_threads",
       [](const PointResult& r) -> Value {
         return static_cast<uint64_t>(r.spec.client_threads);
       }},
      {"messages", [](const PointResult& r) -> Value { return r.messages; }},
      {"body_bytes",
       [](const PointResult& r) -> Value { return r.body_bytes; }},
      {"seconds",
       [](const PointResult& r) -> Value {
         return absl::ToDoubleSeconds(r.elapsed);
       }},
      {"messages_per_s",
       [](const PointResult& r) -> Value { return r.MessagesPerSecond(); }},
      {"mb_per_s",
       [](const PointResult& r) -> Value { return r.MegabytesPerSecond(); }},
      {"rtt_samples",
       [](const PointResult& r) -> Value { return r.rtt.count; }},
      {"rtt_p50_us",
       [](const PointResult& r) -> Value { return Us(r.rtt.p50); }},
      {"rtt_p99_us",
       [](const PointResult& r) -> Value { return Us(r.rtt.p99); }},
      {"rtt_p999_us",
       [](const PointResult& r) -> Value { return Us(r.rtt.p999); }},
      {"rtt_max_us",
       [](const PointResult& r) -> Value { return Us(r.rtt.max); }},
      {"connections_opened",
       [](const PointResult& r) -> Value { return r.connections_opened; }},
      {"setup_p50_us",
       [](const PointResult& r) -> Value { return Us(r.setup.p50); }},
      {"setup_p99_us",
       [](const PointResult& r) -> Value { return Us(r.setup.p99); }},
      {"setup_max_us",
       [](const PointResult& r) -> Value { return Us(r.setup.max); }},
      {"cpu_s",
       [](const PointResult& r) -> Value {
         return absl::ToDoubleSeconds(r.cpu);
       }},
      {"verify_s",
       [](const PointResult& r) -> Value {
         return absl::ToDoubleSeconds(r.verify_time);
       }},
      {"verify_ns_per_message",
       [](const PointResult& r) -> Value { return r.VerifyNanosPerMessage(); }},
      {"verify_share_of_cpu",
       [](const PointResult& r) -> Value { return r.VerifyShareOfCpu(); }},
      {"peak_rss_bytes",
       [](const PointResult& r) -> Value { return r.peak_rss_bytes; }},
      {"pool_empty",
       [](const PointResult& r) -> Value { return r.pool_empty; }},
      {"errors",
       [](const PointResult& r) -> Value { return r.violations.count; }},
      {"passed", [](const PointResult& r) -> Value { return r.passed(); }},
      {"first_violation",
       [](const PointResult& r) -> Value {
         return r.violations.first.empty() ? std::string()
                                           : r.violations.first.front();
       }},
  };
  return *fields;
}

std::string CsvQuote(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// Numbers as both formats write them: integers exactly, doubles with six
// significant digits; a non-finite double (never expected) as `non_finite`.
std::string Number(const Value& v, absl::string_view non_finite) {
  if (const uint64_t* i = std::get_if<uint64_t>(&v)) return absl::StrCat(*i);
  const double d = std::get<double>(v);
  if (!std::isfinite(d)) return std::string(non_finite);
  return absl::StrFormat("%.6g", d);
}

std::string CsvValue(const Value& v) {
  if (const std::string* s = std::get_if<std::string>(&v)) return CsvQuote(*s);
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return Number(v, "");
}

std::string JsonValue(const Value& v) {
  if (const std::string* s = std::get_if<std::string>(&v)) {
    return JsonString(*s);
  }
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return Number(v, "null");
}

std::string Fixed(double v, int decimals) {
  return absl::StrFormat("%.*f", decimals, v);
}

}  // namespace

std::string FormatTable(const std::vector<PointResult>& results) {
  const std::vector<std::string> header = {
      "transport",    "pattern",      "conns",        "size",
      "msgs/conn",    "time_s",       "msg/s",        "MB/s",
      "rtt_p50_us",   "rtt_p99_us",   "rtt_p99.9_us", "rtt_max_us",
      "setup_p50_ms", "setup_max_ms", "cpu_s",        "verify_ns/msg",
      "verify_%cpu",  "rss_MB",       "pool_empty",   "errors"};
  std::vector<std::vector<std::string>> rows = {header};
  for (const PointResult& r : results) {
    const bool rtt = HasRtt(r);
    auto us = [rtt](absl::Duration d) { return rtt ? Fixed(Us(d), 1) : "-"; };
    rows.push_back({
        std::string(TransportName(r.spec.transport)),
        absl::StrCat(PatternName(r.spec.pattern), r.spec.churn ? "+churn" : ""),
        absl::StrCat(r.spec.connections),
        absl::StrCat(r.spec.size),
        r.spec.messages > 0 ? absl::StrCat(r.spec.messages) : "-",
        Fixed(absl::ToDoubleSeconds(r.elapsed), 3),
        Fixed(r.MessagesPerSecond(), 0),
        Fixed(r.MegabytesPerSecond(), 2),
        us(r.rtt.p50),
        us(r.rtt.p99),
        us(r.rtt.p999),
        us(r.rtt.max),
        Fixed(absl::ToDoubleMilliseconds(r.setup.p50), 3),
        Fixed(absl::ToDoubleMilliseconds(r.setup.max), 3),
        Fixed(absl::ToDoubleSeconds(r.cpu), 2),
        Fixed(r.VerifyNanosPerMessage(), 0),
        Fixed(100 * r.VerifyShareOfCpu(), 1),
        Fixed(static_cast<double>(r.peak_rss_bytes) / (1 << 20), 0),
        absl::StrCat(r.pool_empty),
        absl::StrCat(r.violations.count),
    });
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      // The two name columns left-aligned, numbers right-aligned.
      const std::string pad(width[i] - row[i].size(), ' ');
      absl::StrAppend(&line, i == 0 ? "" : "  ",
                      i < 2 ? row[i] + pad : pad + row[i]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string FormatCsv(const std::vector<PointResult>& results) {
  std::vector<std::string> names;
  for (const Field& f : Fields()) names.push_back(f.name);
  std::string out = absl::StrCat(absl::StrJoin(names, ","), "\n");
  for (const PointResult& r : results) {
    std::vector<std::string> cells;
    for (const Field& f : Fields()) cells.push_back(CsvValue(f.get(r)));
    absl::StrAppend(&out, absl::StrJoin(cells, ","), "\n");
  }
  return out;
}

std::string FormatJson(const std::vector<PointResult>& results,
                       const RunInfo& info) {
  std::string out =
      absl::StrCat("{\n  \"cpus\": ", info.cpus,
                   ",\n  \"command\": ", JsonString(info.command),
                   ",\n  \"passed\": ", AllPassed(results) ? "true" : "false",
                   ",\n  \"points\": [");
  for (size_t i = 0; i < results.size(); ++i) {
    std::vector<std::string> members;
    for (const Field& f : Fields()) {
      members.push_back(
          absl::StrCat(JsonString(f.name), ": ", JsonValue(f.get(results[i]))));
    }
    absl::StrAppend(&out, i == 0 ? "\n" : ",\n", "    {",
                    absl::StrJoin(members, ", "), "}");
  }
  absl::StrAppend(&out, results.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return out;
}

}  // namespace tofu::stress
