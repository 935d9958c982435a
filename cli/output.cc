#include "cli/output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace authd::cli {
namespace {

constexpr int kTabWidth = 8;
constexpr int kPadding = 1;

size_t CodePoints(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

JsonValue JsonValue::String(std::string value) {
  JsonValue v(Kind::kString);
  v.string_ = std::move(value);
  return v;
}

JsonValue JsonValue::Bool(bool value) {
  JsonValue v(Kind::kBool);
  v.bool_ = value;
  return v;
}

JsonValue JsonValue::Int(int64_t value) {
  JsonValue v(Kind::kInt);
  v.int_ = value;
  return v;
}

JsonValue JsonValue::Array() { return JsonValue(Kind::kArray); }
JsonValue JsonValue::Object() { return JsonValue(Kind::kObject); }

JsonValue& JsonValue::Add(JsonValue value) {
  values_.push_back(std::move(value));
  return *this;
}

JsonValue& JsonValue::Set(std::string key, JsonValue value) {
  keys_.push_back(std::move(key));
  values_.push_back(std::move(value));
  return *this;
}

std::string JsonValue::Serialize() const {
  std::string out;
  SerializeTo(&out, 0);
  out += "\n";
  return out;
}

void JsonValue::SerializeTo(std::string* out, int depth) const {
  switch (kind_) {
    case Kind::kString:
      *out += JsonQuote(string_);
      return;
    case Kind::kBool:
      *out += bool_ ? "true" : "false";
      return;
    case Kind::kInt:
      absl::StrAppend(out, int_);
      return;
    case Kind::kArray:
    case Kind::kObject: {
      const bool object = kind_ == Kind::kObject;
      if (values_.empty()) {
        *out += object ? "{}" : "[]";
        return;
      }
      *out += object ? "{\n" : "[\n";
      for (size_t i = 0; i < values_.size(); ++i) {
        out->append(depth + 1, '\t');
        if (object) absl::StrAppend(out, JsonQuote(keys_[i]), ": ");
        values_[i].SerializeTo(out, depth + 1);
        if (i + 1 < values_.size()) *out += ",";
        *out += "\n";
      }
      out->append(depth, '\t');
      *out += object ? "}" : "]";
      return;
    }
  }
}

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '<': case '>': case '&':
        out += absl::StrFormat("\\u%04x", c);
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
          // U+2028 and U+2029, which Go escapes for JavaScript's sake.
          out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows, bool hide_headers) {
  std::vector<const std::vector<std::string>*> lines;
  if (!hide_headers) lines.push_back(&headers);
  for (const auto& row : rows) lines.push_back(&row);
  if (lines.empty()) return "";
  // Every line has the same cells, so each column (but the last, which is not tab-terminated and
  // so belongs to no column) is one tabwriter block: width = widest cell + padding, rounded up to a
  // tab stop, filled with tabs.
  const size_t columns = headers.size();
  std::vector<size_t> widths(columns, 0);
  for (const auto* line : lines) {
    for (size_t c = 0; c + 1 < columns && c < line->size(); ++c) {
      widths[c] = std::max(widths[c], CodePoints((*line)[c]) + kPadding);
    }
  }
  for (size_t& w : widths) w = (w + kTabWidth - 1) / kTabWidth * kTabWidth;
  std::string out;
  for (const auto* line : lines) {
    for (size_t c = 0; c < columns; ++c) {
      const std::string cell = c < line->size() ? (*line)[c] : "";
      out += cell;
      if (c + 1 < columns) {
        size_t pad = widths[c] - CodePoints(cell);
        out.append((pad + kTabWidth - 1) / kTabWidth, '\t');
      }
    }
    out += "\n";
  }
  return out;
}

std::string FormatList(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, " "), "]");
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

void Printer::Table(const std::vector<std::string>& headers,
                    const std::vector<std::vector<std::string>>& rows) const {
  std::string text = FormatTable(headers, rows, hide_headers_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

void Printer::Json(const JsonValue& value) const {
  std::string text = value.Serialize();
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

void Printer::Line(absl::string_view text) const {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace authd::cli
