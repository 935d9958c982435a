// Reading authctl's output in end-to-end tests: its `--json` output as a protobuf `Value`, and its
// tables as a terminal shows them (tabs expanded), column by column. testonly; pure functions,
// thread-safe (ExpectAligned reports through gtest).
#ifndef AUTHD_TESTS_CLI_AUTHCTL_OUTPUT_H_
#define AUTHD_TESTS_CLI_AUTHCTL_OUTPUT_H_

#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

namespace authd::cli_test {

// `text` parsed as JSON; a test failure (and a null value) when it is not JSON.
google::protobuf::Value ParseJson(const std::string& text);

// The member `key` of a JSON object; a null value when absent.
const google::protobuf::Value& Field(const google::protobuf::Value& object, const std::string& key);

// The string member `key` of a JSON object; "" when absent or not a string.
std::string Str(const google::protobuf::Value& object, const std::string& key);

// The string member `key` of each object of a JSON array, in order (e.g. the IDs of a list).
std::vector<std::string> Strs(const google::protobuf::Value& array, const std::string& key);

// The line with tabs expanded to 8-column stops, as a terminal shows it.
std::string ExpandTabs(const std::string& line);

// Expects `row` to show `cells[i]` starting exactly under `headers[i]` of `header_line` (an empty
// cell: nothing there). `headers` may leave columns out.
void ExpectAligned(const std::string& header_line, const std::vector<std::string>& headers,
                   const std::string& row, const std::vector<std::string>& cells);

}  // namespace authd::cli_test

#endif  // AUTHD_TESTS_CLI_AUTHCTL_OUTPUT_H_
