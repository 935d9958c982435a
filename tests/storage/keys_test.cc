#include "storage/keys.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace authd::storage {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(KeysTest, EncodeU64WritesBigEndian) {
  EXPECT_EQ(EncodeU64(0x0102030405060708ull), Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(EncodeU64(0), std::string(8, '\0'));
  EXPECT_EQ(EncodeU64(UINT64_MAX), std::string(8, '\xff'));
}

TEST(KeysTest, EncodeU32WritesBigEndian) {
  EXPECT_EQ(EncodeU32(0x01020304u), Bytes({1, 2, 3, 4}));
  EXPECT_EQ(EncodeU32(0), std::string(4, '\0'));
  EXPECT_EQ(EncodeU32(UINT32_MAX), std::string(4, '\xff'));
}

TEST(KeysTest, U64RoundTripsForBoundaryValues) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0xff}, uint64_t{0x100}, uint64_t{1000},
                     uint64_t{0x7fffffffffffffff}, uint64_t{0x8000000000000000},
                     uint64_t{0xdeadbeefcafef00d}, UINT64_MAX}) {
    std::string encoded = EncodeU64(v);
    ASSERT_EQ(encoded.size(), 8u);
    auto decoded = DecodeU64(encoded);
    ASSERT_TRUE(decoded.has_value()) << v;
    EXPECT_EQ(*decoded, v);
  }
}

TEST(KeysTest, U32RoundTripsForBoundaryValues) {
  for (uint32_t v : {0u, 1u, 0xffu, 0x100u, 0x7fffffffu, 0x80000000u, 0xdeadbeefu, UINT32_MAX}) {
    std::string encoded = EncodeU32(v);
    ASSERT_EQ(encoded.size(), 4u);
    auto decoded = DecodeU32(encoded);
    ASSERT_TRUE(decoded.has_value()) << v;
    EXPECT_EQ(*decoded, v);
  }
}

TEST(KeysTest, U64BytewiseOrderEqualsNumericOrder) {
  const std::vector<uint64_t> values = {0,          1,          2,          0xff,
                                        0x100,      0x101,      0xffff,     0x10000,
                                        1ull << 32, 1ull << 56, (1ull << 63) - 1,
                                        1ull << 63, UINT64_MAX - 1, UINT64_MAX};
  for (uint64_t a : values) {
    for (uint64_t b : values) {
      // std::string compares as unsigned bytes (char_traits<char>::compare uses memcmp).
      int bytewise = EncodeU64(a).compare(EncodeU64(b));
      if (a < b) {
        EXPECT_LT(bytewise, 0) << a << " vs " << b;
      } else if (a > b) {
        EXPECT_GT(bytewise, 0) << a << " vs " << b;
      } else {
        EXPECT_EQ(bytewise, 0) << a << " vs " << b;
      }
    }
  }
}

TEST(KeysTest, U32BytewiseOrderEqualsNumericOrder) {
  const std::vector<uint32_t> values = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
                                        0x7fffffff, 0x80000000, UINT32_MAX};
  for (uint32_t a : values) {
    for (uint32_t b : values) {
      int bytewise = EncodeU32(a).compare(EncodeU32(b));
      EXPECT_EQ(bytewise < 0, a < b) << a << " vs " << b;
      EXPECT_EQ(bytewise == 0, a == b) << a << " vs " << b;
    }
  }
}

TEST(KeysTest, DecodeU64RejectsWrongLength) {
  for (size_t n : {0, 1, 4, 7, 9, 16}) {
    EXPECT_FALSE(DecodeU64(std::string(n, '\x01')).has_value()) << n;
  }
}

TEST(KeysTest, DecodeU32RejectsWrongLength) {
  for (size_t n : {0, 1, 3, 5, 8}) {
    EXPECT_FALSE(DecodeU32(std::string(n, '\x01')).has_value()) << n;
  }
}

TEST(KeysTest, PairKeyConcatenatesTwoBigEndianIds) {
  EXPECT_EQ(PairKey(0x0102030405060708ull, 0x1112131415161718ull),
            Bytes({1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}));
  EXPECT_EQ(PairKey(0, 1), Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(KeysTest, PairKeyGroupsByFirstIdInBytewiseOrder) {
  // All of user 1's keys sort before any of user 2's, whatever the second id.
  EXPECT_LT(PairKey(1, UINT64_MAX), PairKey(2, 0));
  EXPECT_LT(PairKey(1, 5), PairKey(1, 6));
}

TEST(KeysTest, TaggedIdKeyPrefixesTagByte) {
  EXPECT_EQ(TaggedIdKey('u', 0x00000000000003e8ull), Bytes({'u', 0, 0, 0, 0, 0, 0, 0x03, 0xe8}));
  EXPECT_EQ(TaggedIdKey(kOrgTag, 0xa1b2c3d4e5f60718ull),
            Bytes({'o', 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18}));
}

TEST(KeysTest, TaggedNameKeyPrefixesTagByteToRawName) {
  EXPECT_EQ(TaggedNameKey(kUserNameTag, "alice"), "Ualice");
  EXPECT_EQ(TaggedNameKey(kOrgNameTag, "my org"), "Omy org");
  EXPECT_EQ(TaggedNameKey(kUserNameTag, ""), "U");
  EXPECT_EQ(TaggedNameKey(kUserNameTag, "h\xc3\xa9"), "Uh\xc3\xa9");
}

TEST(KeysTest, BucketNameKeyHoldsTagThenOrgIdThenName) {
  EXPECT_EQ(BucketNameKey(0x0102030405060708ull, "metrics"),
            Bytes({'B', 1, 2, 3, 4, 5, 6, 7, 8}) + "metrics");
  EXPECT_EQ(BucketNameKey(0, ""), Bytes({'B', 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(KeysTest, BucketNameKeyDiffersAcrossOrgsForSameName) {
  EXPECT_NE(BucketNameKey(1, "b"), BucketNameKey(2, "b"));
}

TEST(KeysTest, InstanceKeyIsSingleTagByte) { EXPECT_EQ(InstanceKey(), "i"); }

TEST(KeysTest, TagsAreDistinct) {
  const std::string tags = {kUserTag,   kUserNameTag,   kOrgTag,     kOrgNameTag,
                            kBucketTag, kBucketNameTag, kInstanceTag};
  for (size_t i = 0; i < tags.size(); ++i) {
    for (size_t j = i + 1; j < tags.size(); ++j) EXPECT_NE(tags[i], tags[j]);
  }
}

}  // namespace
}  // namespace authd::storage
