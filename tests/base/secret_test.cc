// Tests of base/secret.h: the whole buffer is overwritten, inline and heap strings alike.
#include "base/secret.h"

#include <string>

#include "gtest/gtest.h"

namespace authd {
namespace {

TEST(SecretTest, WipeStringZeroesItsWholeBuffer) {
  for (size_t len : {0, 5, 15, 16, 100, 5000}) {
    std::string s(len, 'x');
    s.reserve(len + 7);
    const char* buffer = s.data();
    const size_t capacity = s.capacity();
    WipeString(&s);
    EXPECT_TRUE(s.empty()) << len;
    // Still the same buffer (clear keeps it), now all zero: including bytes past the old size.
    ASSERT_EQ(s.data(), buffer) << len;
    ASSERT_EQ(s.capacity(), capacity) << len;
    for (size_t i = 0; i < capacity; ++i) ASSERT_EQ(buffer[i], '\0') << len << " @" << i;
  }
}

TEST(SecretTest, WipeBytesToleratesEmptyAndNull) {
  WipeBytes(nullptr, 0);
  char b[4] = {'a', 'b', 'c', 'd'};
  WipeBytes(b, 0);
  EXPECT_EQ(b[0], 'a');
  WipeBytes(b, sizeof(b));
  for (char c : b) EXPECT_EQ(c, '\0');
}

}  // namespace
}  // namespace authd
