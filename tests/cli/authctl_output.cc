#include "tests/cli/authctl_output.h"

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace authd::cli_test {

using google::protobuf::Value;

Value ParseJson(const std::string& text) {
  Value v;
  auto status = google::protobuf::util::JsonStringToMessage(text, &v);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << text;
  return v;
}

const Value& Field(const Value& object, const std::string& key) {
  static const Value* const kNull = new Value();
  auto it = object.struct_value().fields().find(key);
  return it == object.struct_value().fields().end() ? *kNull : it->second;
}

std::string Str(const Value& object, const std::string& key) {
  return Field(object, key).string_value();
}

std::vector<std::string> Strs(const Value& array, const std::string& key) {
  std::vector<std::string> out;
  for (const Value& item : array.list_value().values()) out.push_back(Str(item, key));
  return out;
}

std::string ExpandTabs(const std::string& line) {
  std::string out;
  for (char c : line) {
    if (c == '\t') {
      do out += ' ';
      while (out.size() % 8 != 0);
    } else {
      out += c;
    }
  }
  return out;
}

void ExpectAligned(const std::string& header_line, const std::vector<std::string>& headers,
                   const std::string& row, const std::vector<std::string>& cells) {
  const std::string h = ExpandTabs(header_line);
  const std::string r = ExpandTabs(row);
  ASSERT_EQ(headers.size(), cells.size());
  for (size_t i = 0; i < headers.size(); ++i) {
    size_t at = h.find(headers[i]);
    ASSERT_NE(at, std::string::npos) << headers[i];
    if (cells[i].empty()) {
      EXPECT_TRUE(at >= r.size() || r[at] == ' ') << "column " << headers[i] << " in: " << r;
    } else {
      EXPECT_EQ(r.substr(at, cells[i].size()), cells[i]) << "column " << headers[i] << " in: " << r;
    }
  }
}

}  // namespace authd::cli_test
