#include "stress/testing/well_formed.h"

#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tofu::stress::testing {
namespace {

// A cursor over the text with the shared error format.
class Reader {
 public:
  explicit Reader(absl::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  char next() { return done() ? '\0' : text_[pos_++]; }
  bool Consume(absl::string_view s) {
    if (!absl::StartsWith(text_.substr(pos_), s)) return false;
    pos_ += s.size();
    return true;
  }
  void SkipSpace() {
    while (!done() && absl::ascii_isspace(static_cast<unsigned char>(peek()))) {
      ++pos_;
    }
  }
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " at offset ", pos_, " near '",
                     text_.substr(pos_ > 10 ? pos_ - 10 : 0, 30), "'"));
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == ':' || c == '.' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::string XmlName(Reader& r) {
  std::string name;
  while (IsNameChar(r.peek())) name += r.next();
  return name;
}

// After a '&': a predefined or numeric reference and its ';'.
absl::Status XmlReference(Reader& r) {
  for (absl::string_view e : {"amp;", "lt;", "gt;", "quot;", "apos;"}) {
    if (r.Consume(e)) return absl::OkStatus();
  }
  if (r.Consume("#")) {
    const bool hex = r.Consume("x");
    int digits = 0;
    while (hex ? absl::ascii_isxdigit(static_cast<unsigned char>(r.peek()))
               : absl::ascii_isdigit(static_cast<unsigned char>(r.peek()))) {
      r.next();
      ++digits;
    }
    if (digits > 0 && r.Consume(";")) return absl::OkStatus();
  }
  return r.Error("bad entity reference");
}

absl::Status XmlTag(Reader& r, std::vector<std::string>& open, bool& closed) {
  closed = false;
  std::string name = XmlName(r);
  if (name.empty()) return r.Error("element without a name");
  std::vector<std::string> attributes;
  while (true) {
    r.SkipSpace();
    if (r.Consume("/>")) {
      closed = true;
      return absl::OkStatus();
    }
    if (r.Consume(">")) {
      open.push_back(name);
      return absl::OkStatus();
    }
    std::string attribute = XmlName(r);
    if (attribute.empty()) return r.Error("bad attribute");
    for (const std::string& a : attributes) {
      if (a == attribute) return r.Error("repeated attribute");
    }
    attributes.push_back(attribute);
    r.SkipSpace();
    if (!r.Consume("=")) return r.Error("attribute without '='");
    r.SkipSpace();
    const char quote = r.next();
    if (quote != '"' && quote != '\'') return r.Error("unquoted attribute");
    while (r.peek() != quote) {
      if (r.done() || r.peek() == '<') return r.Error("bad attribute value");
      if (r.next() == '&') {
        if (absl::Status s = XmlReference(r); !s.ok()) return s;
      }
    }
    r.next();
  }
}

// JSON.
absl::Status JsonValue(Reader& r, int depth);

absl::Status JsonString(Reader& r) {
  if (!r.Consume("\"")) return r.Error("expected a string");
  while (true) {
    if (r.done()) return r.Error("unterminated string");
    const char c = r.next();
    if (c == '"') return absl::OkStatus();
    if (static_cast<unsigned char>(c) < 0x20) {
      return r.Error("control character in a string");
    }
    if (c != '\\') continue;
    const char e = r.next();
    if (e == 'u') {
      for (int i = 0; i < 4; ++i) {
        if (!absl::ascii_isxdigit(static_cast<unsigned char>(r.next()))) {
          return r.Error("bad \\u escape");
        }
      }
    } else if (absl::string_view("\"\\/bfnrt").find(e) ==
               absl::string_view::npos) {
      return r.Error("bad escape");
    }
  }
}

absl::Status JsonNumber(Reader& r) {
  auto digits = [&r] {
    int n = 0;
    while (absl::ascii_isdigit(static_cast<unsigned char>(r.peek()))) {
      r.next();
      ++n;
    }
    return n;
  };
  r.Consume("-");
  if (r.Consume("0")) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(r.peek()))) {
      return r.Error("leading zero");
    }
  } else if (digits() == 0) {
    return r.Error("expected a value");
  }
  if (r.Consume(".") && digits() == 0) return r.Error("bad fraction");
  if (r.Consume("e") || r.Consume("E")) {
    if (!r.Consume("+")) r.Consume("-");
    if (digits() == 0) return r.Error("bad exponent");
  }
  return absl::OkStatus();
}

// `open` and `close` delimit a list of items separated by commas.
template <typename Item>
absl::Status JsonList(Reader& r, char close, Item item) {
  r.SkipSpace();
  if (r.Consume(std::string(1, close))) return absl::OkStatus();
  while (true) {
    if (absl::Status s = item(); !s.ok()) return s;
    r.SkipSpace();
    if (r.Consume(std::string(1, close))) return absl::OkStatus();
    if (!r.Consume(",")) return r.Error("expected ',' or the end of a list");
    r.SkipSpace();
  }
}

absl::Status JsonValue(Reader& r, int depth) {
  if (depth > 64) return r.Error("nested too deeply");
  r.SkipSpace();
  if (r.Consume("{")) {
    return JsonList(r, '}', [&r, depth]() -> absl::Status {
      if (absl::Status s = JsonString(r); !s.ok()) return s;
      r.SkipSpace();
      if (!r.Consume(":")) return r.Error("expected ':'");
      return JsonValue(r, depth + 1);
    });
  }
  if (r.Consume("[")) {
    return JsonList(r, ']', [&r, depth] { return JsonValue(r, depth + 1); });
  }
  if (r.peek() == '"') return JsonString(r);
  if (r.Consume("true") || r.Consume("false") || r.Consume("null")) {
    return absl::OkStatus();
  }
  return JsonNumber(r);
}

}  // namespace

absl::Status CheckXml(absl::string_view text) {
  Reader r(text);
  if (r.Consume("<?xml")) {
    while (!r.Consume("?>")) {
      if (r.done()) return r.Error("unterminated declaration");
      r.next();
    }
  }
  std::vector<std::string> open;
  bool root_seen = false;
  while (true) {
    if (open.empty()) r.SkipSpace();
    if (r.done()) break;
    if (r.Consume("<!--")) {
      while (!r.Consume("-->")) {
        if (r.done()) return r.Error("unterminated comment");
        r.next();
      }
      continue;
    }
    if (r.Consume("</")) {
      const std::string name = XmlName(r);
      r.SkipSpace();
      if (open.empty() || open.back() != name || !r.Consume(">")) {
        return r.Error(absl::StrCat("unmatched end tag </", name, ">"));
      }
      open.pop_back();
      continue;
    }
    if (r.Consume("<")) {
      if (open.empty() && root_seen) return r.Error("a second root element");
      root_seen = true;
      bool closed = false;
      if (absl::Status s = XmlTag(r, open, closed); !s.ok()) return s;
      continue;
    }
    if (open.empty()) return r.Error("text outside the root element");
    if (r.next() == '&') {
      if (absl::Status s = XmlReference(r); !s.ok()) return s;
    }
  }
  if (!open.empty())
    return r.Error(absl::StrCat("<", open.back(), "> not closed"));
  if (!root_seen) return r.Error("no root element");
  return absl::OkStatus();
}

absl::Status CheckJson(absl::string_view text) {
  Reader r(text);
  if (absl::Status s = JsonValue(r, 0); !s.ok()) return s;
  r.SkipSpace();
  if (!r.done()) return r.Error("text after the value");
  return absl::OkStatus();
}

}  // namespace tofu::stress::testing
