#include "formats/binlog_segment.h"

#include <gtest/gtest.h>

namespace mysqlset::formats {
namespace {

void Put(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string Event(int type, uint32_t when, const std::string& body) {
  std::string e;
  Put(e, when, 4);
  Put(e, type, 1);
  Put(e, 1, 4);  // server_id
  Put(e, 19 + body.size() + 4, 4);
  Put(e, 0, 4);
  Put(e, 0, 2);
  return e + body + std::string(4, '\0');  // a CRC32 the parser does not read
}

struct G3 {
  uint32_t domain, server;
  uint64_t seq;
};

std::string Binlog(uint32_t created, const std::vector<G3>& gtids) {
  std::string list;
  Put(list, gtids.size(), 4);
  for (const auto& g : gtids) {
    Put(list, g.domain, 4);
    Put(list, g.server, 4);
    Put(list, g.seq, 8);
  }
  return std::string(
             "\xfe"
             "bin",
             4) +
         Event(15, created, std::string(90, 'x')) + Event(163, created, list) +
         Event(161, created, "ckpt");
}

TEST(BinlogHead, ReadsTheFirstTransactionsGtid) {
  std::string gtid;
  Put(gtid, 57, 8);  // seq
  Put(gtid, 3, 4);   // domain
  Put(gtid, 0, 1);   // flags
  auto head = ParseBinlogHead(Binlog(5, {}) + Event(162, 6, gtid));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->gtid_list, "");
  EXPECT_EQ(head->first_gtid, "3-1-57");  // the header's server_id
  EXPECT_EQ(ParseBinlogHead(Binlog(5, {})).value().first_gtid, "");
}

TEST(BinlogHead, ReadsCreationTimeAndGtidList) {
  auto head = ParseBinlogHead(Binlog(1796040000, {{0, 1, 42}, {0, 2, 57}, {1, 3, 7}}));
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->created_unix, 1796040000);
  EXPECT_EQ(head->gtid_list, "0-2-57,1-3-7");  // per domain, the highest sequence number
}

TEST(BinlogHead, EmptyGtidListOfAFreshServer) {
  auto head = ParseBinlogHead(Binlog(5, {}));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->gtid_list, "");
}

TEST(BinlogHead, RefusesWhatIsNotABinlogOrEndsEarly) {
  EXPECT_FALSE(ParseBinlogHead("").ok());
  EXPECT_FALSE(ParseBinlogHead("hello world").ok());
  const std::string full = Binlog(5, {{0, 1, 1}});
  EXPECT_FALSE(ParseBinlogHead(full.substr(0, 100)).ok());
  EXPECT_FALSE(ParseBinlogHead(std::string("\xfe"
                                           "bin",
                                           4) +
                               Event(2, 1, "query"))
                   .ok());
}

TEST(BinlogSegment, RoundTripAndRefusals) {
  BinlogSegment s;
  s.id = SegmentIdOf(1796040000, "mysql-1", "mysql-bin.000003");
  EXPECT_EQ(s.id, "20261130T120000Z-mysql-1-mysql-bin.000003");
  EXPECT_EQ(SegmentKey(s.id, kSegmentName), "binlogs/" + s.id + "/segment.json");
  s.cluster = "mysql";
  s.member = "mysql-1";
  s.file = "mysql-bin.000003";
  s.start_gtid = "0-1-5";
  s.end_gtid = "0-1-9";
  s.start_unix = 1;
  s.end_unix = 2;
  s.bytes = 300;
  s.sha256 = std::string(64, 'a');
  auto back = FromJson<BinlogSegment>(ToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->end_gtid, "0-1-9");
  EXPECT_EQ(back->file, s.file);
  EXPECT_EQ(back->bytes, 300u);

  auto bad = [&](auto mutate) {
    BinlogSegment b = s;
    mutate(b);
    return FromJson<BinlogSegment>(ToJson(b)).ok();
  };
  EXPECT_FALSE(bad([](BinlogSegment& b) { b.file = "../x"; }));
  EXPECT_FALSE(bad([](BinlogSegment& b) { b.end_gtid = "nope"; }));
  EXPECT_FALSE(bad([](BinlogSegment& b) { b.sha256 = "abc"; }));
  EXPECT_FALSE(bad([](BinlogSegment& b) { b.format_version = kSegmentFormatVersion + 1; }));
  EXPECT_FALSE(FromJson<BinlogSegment>("[]").ok());
}

}  // namespace
}  // namespace mysqlset::formats
