#include "cli/output.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace authd::cli {
namespace {

// Expected strings below are what Go's tabwriter.NewWriter(w, 0, 8, 1, '\t', 0) writes.
TEST(FormatTableTest, PadsEachColumnWithTabsToTheNextStopPastItsWidestCell) {
  // Column 0: widest 16 + 1 = 17 -> 24; "ID" needs 22 -> 3 tabs, 16 chars need 8 -> 1 tab.
  EXPECT_EQ(FormatTable({"ID", "Name"}, {{"0123456789abcdef", "acme"}}, false),
            "ID\t\t\tName\n"
            "0123456789abcdef\tacme\n");
}

TEST(FormatTableTest, EmptyCellsArePaddedAndTheLastColumnIsNot) {
  EXPECT_EQ(FormatTable({"A", "Token", "Z"}, {{"x", "", "last column"}, {"yy", "t", ""}}, false),
            "A\tToken\tZ\n"
            "x\t\tlast column\n"
            "yy\tt\t\n");
}

TEST(FormatTableTest, AWidthOfExactlyATabStopGetsAFullTab) {
  // "1234567" is 7 wide: 7 + 1 = 8 -> one tab for it, and a full 8 for "a".
  EXPECT_EQ(FormatTable({"1234567", "b"}, {{"a", "c"}}, false), "1234567\tb\na\tc\n");
  // 8 wide: 8 + 1 = 9 -> 16.
  EXPECT_EQ(FormatTable({"12345678", "b"}, {{"a", "c"}}, false), "12345678\tb\na\t\tc\n");
}

TEST(FormatTableTest, HideHeadersDropsTheHeaderRowAndItsWidth) {
  EXPECT_EQ(FormatTable({"A-long-header", "B"}, {{"x", "y"}}, true), "x\ty\n");
  EXPECT_EQ(FormatTable({"A", "B"}, {}, true), "");
  EXPECT_EQ(FormatTable({"A", "B"}, {}, false), "A\tB\n");
}

TEST(FormatTableTest, WidthsCountCodePoints) {
  // "äöü" is 3 code points (6 bytes): 3 + 1 -> 8, one tab.
  EXPECT_EQ(FormatTable({"äöü", "x"}, {{"1234567", "y"}}, false), "äöü\tx\n1234567\ty\n");
}

TEST(FormatListTest, IsGosPercentV) {
  EXPECT_EQ(FormatList({}), "[]");
  EXPECT_EQ(FormatList({"read:/buckets", "write:/buckets"}), "[read:/buckets write:/buckets]");
}

TEST(JsonValueTest, IndentsWithTabsLikeGo) {
  JsonValue perms = JsonValue::Array();
  perms.Add(JsonValue::String("read:/orgs")).Add(JsonValue::String("write:/orgs"));
  JsonValue obj = JsonValue::Object();
  obj.Set("id", JsonValue::String("0a"))
      .Set("n", JsonValue::Int(-3))
      .Set("ok", JsonValue::Bool(true))
      .Set("empty", JsonValue::Array())
      .Set("none", JsonValue::Object())
      .Set("permissions", std::move(perms));
  EXPECT_EQ(obj.Serialize(),
            "{\n"
            "\t\"id\": \"0a\",\n"
            "\t\"n\": -3,\n"
            "\t\"ok\": true,\n"
            "\t\"empty\": [],\n"
            "\t\"none\": {},\n"
            "\t\"permissions\": [\n"
            "\t\t\"read:/orgs\",\n"
            "\t\t\"write:/orgs\"\n"
            "\t]\n"
            "}\n");
  JsonValue list = JsonValue::Array();
  list.Add(JsonValue::Object().Set("a", JsonValue::String("b")));
  EXPECT_EQ(list.Serialize(), "[\n\t{\n\t\t\"a\": \"b\"\n\t}\n]\n");
}

TEST(JsonValueTest, EscapesAsGoDoes) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\te\x01<>&"), "\"a\\\"b\\\\c\\nd\\te\\u0001\\u003c\\u003e\\u0026\"");
  EXPECT_EQ(JsonQuote("\xE2\x80\xA8 \xE2\x80\xA9 é"), "\"\\u2028 \\u2029 é\"");
}

TEST(FormatTimestampTest, IsRfc3339NanoInUtc) {
  google::protobuf::Timestamp ts;
  EXPECT_EQ(FormatTimestamp(ts), "");
  ts.set_seconds(1700000000);
  EXPECT_EQ(FormatTimestamp(ts), "2023-11-14T22:13:20Z");
  ts.set_nanos(120000000);
  EXPECT_EQ(FormatTimestamp(ts), "2023-11-14T22:13:20.12Z");
}

}  // namespace
}  // namespace authd::cli
