// Output of authctl, shaped like the influx CLI's: tables written through Go's text/tabwriter as
// influx configures it (tab padding, tab width 8, padding 1), and JSON as Go's encoding/json prints
// it with a tab indent. Value types and pure functions, plus `Printer`, which writes to one FILE;
// thread-compatible.
#ifndef AUTHD_CLI_OUTPUT_H_
#define AUTHD_CLI_OUTPUT_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"

namespace authd::cli {

// A JSON value with object keys kept in insertion order (influx prints struct fields in order).
class JsonValue {
 public:
  static JsonValue String(std::string value);
  static JsonValue Bool(bool value);
  static JsonValue Int(int64_t value);
  static JsonValue Array();
  static JsonValue Object();

  // Appends to an array.
  JsonValue& Add(JsonValue value);
  // Appends a member to an object (keys are not de-duplicated).
  JsonValue& Set(std::string key, JsonValue value);

  // Go's json.Encoder with SetIndent("", "\t"): one member per line, `[]`/`{}` when empty, `<`, `>`
  // and `&` escaped as \u003c, \u003e, \u0026; ends with a newline.
  std::string Serialize() const;

 private:
  enum class Kind { kString, kBool, kInt, kArray, kObject };
  explicit JsonValue(Kind kind) : kind_(kind) {}
  void SerializeTo(std::string* out, int depth) const;

  Kind kind_;
  std::string string_;
  bool bool_ = false;
  int64_t int_ = 0;
  std::vector<std::string> keys_;
  std::vector<JsonValue> values_;
};

// Go's JSON string escaping, with the quotes.
std::string JsonQuote(absl::string_view s);

// The table influx prints: a header row (unless `hide_headers`), then `rows`; every column but the
// last padded with tabs to the next tab stop (8) past its widest cell + 1, as Go's
// tabwriter.NewWriter(w, 0, 8, 1, '\t', 0) does. Widths count UTF-8 code points.
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows, bool hide_headers);

// Go's fmt "%v" of a []string: `[a b c]`.
std::string FormatList(const std::vector<std::string>& items);

// RFC 3339 with nanoseconds trimmed (Go's time.RFC3339Nano), UTC; "" for an unset timestamp.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);

// Writes tables or JSON, as `--json` / `--hide-headers` ask, to `out`.
class Printer {
 public:
  Printer(std::FILE* out, bool json, bool hide_headers)
      : out_(out), json_(json), hide_headers_(hide_headers) {}

  bool json() const { return json_; }
  void Table(const std::vector<std::string>& headers,
             const std::vector<std::vector<std::string>>& rows) const;
  void Json(const JsonValue& value) const;
  // A line of text (a newline is appended).
  void Line(absl::string_view text) const;

 private:
  std::FILE* out_;
  bool json_;
  bool hide_headers_;
};

}  // namespace authd::cli

#endif  // AUTHD_CLI_OUTPUT_H_
