#include "core/gtid.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

TEST(GtidTest, ParsesListsAndFormatsSorted) {
  struct Case {
    const char* text;
    const char* formatted;
  } cases[] = {
      {"", ""},
      {"  \n", ""},
      {"0-100-7", "0-100-7"},
      {"1-101-3,0-100-7", "0-100-7,1-101-3"},
      {"0-100-7,\n1-101-3", "0-100-7,1-101-3"},
      {"4294967295-4294967295-18446744073709551615", "4294967295-4294967295-18446744073709551615"},
  };
  for (const auto& c : cases) {
    auto g = GtidList::Parse(c.text);
    ASSERT_TRUE(g.ok()) << c.text << ": " << g.status().ToString();
    EXPECT_EQ(g->ToString(), c.formatted);
  }
}

TEST(GtidTest, RejectsMalformed) {
  for (const char* bad : {"x", "0-100", "0-100-", "-1-2", "0-100-7,", ",", "0-100-7,0-101-8",
                          "0-100-18446744073709551616", "0--1-2", "0-1-2-3", "a-b-c", "0-1-2 3"}) {
    EXPECT_FALSE(GtidList::Parse(bad).ok()) << "accepted '" << bad << "'";
  }
}

TEST(GtidTest, CoversAndBehind) {
  auto a = *GtidList::Parse("0-100-10,1-101-5");
  auto b = *GtidList::Parse("0-100-7");
  auto c = *GtidList::Parse("0-100-12,2-102-1");
  EXPECT_TRUE(a.Covers(b));
  EXPECT_FALSE(b.Covers(a));
  EXPECT_FALSE(a.Covers(c));
  EXPECT_EQ(b.TransactionsBehind(a), 3u + 5u);
  EXPECT_EQ(a.TransactionsBehind(c), 2u + 1u);
  EXPECT_EQ(a.TransactionsBehind(b), 0u);
  EXPECT_EQ(a.SeqOf(1), 5u);
  EXPECT_EQ(a.SeqOf(9), 0u);
}

TEST(GtidTest, ParseGtidItemsKeepsADomainTwiceAsInGtidBinlogState) {
  auto items = ParseGtidItems("0-101-11, 0-100-15");
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(*items, (std::vector<Gtid>{{0, 101, 11}, {0, 100, 15}}));
  EXPECT_TRUE(ParseGtidItems("")->empty());
  EXPECT_FALSE(ParseGtidItems("0-100").ok());
}

}  // namespace
}  // namespace mysqlset
