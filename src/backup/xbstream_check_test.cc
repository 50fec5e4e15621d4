#include "backup/xbstream_check.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace mysqlset::backup {
namespace {

std::string LittleEndian(uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

std::string Header(char type, const std::string& path, uint8_t flags = 0) {
  return "XBSTCK01" + std::string(1, static_cast<char>(flags)) + std::string(1, type) +
         LittleEndian(path.size(), 4) + path;
}

// One payload chunk as mariabackup writes it; `crc_delta` spoils its checksum.
std::string Payload(const std::string& path, uint64_t offset, const std::string& data,
                    uint32_t crc_delta = 0, char type = 'P', uint8_t flags = 0) {
  const uint32_t crc =
      static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(data.data()), data.size()));
  return Header(type, path, flags) + LittleEndian(data.size(), 8) + LittleEndian(offset, 8) +
         LittleEndian(crc + crc_delta, 4) + data;
}

std::string End(const std::string& path) { return Header('E', path); }

const std::string kInfo = "mariadb_backup_binlog_info";

// Two files, one in two chunks, interleaved as mariabackup's threads write them.
std::string GoodStream() {
  return Payload("ibdata1", 0, std::string(1000, 'a')) + Payload(kInfo, 0, "mysql-bin.000002\t") +
         Payload("ibdata1", 1000, std::string(3000, 'b')) + Payload(kInfo, 17, "342\t0-1-7\n") +
         End("ibdata1") + End(kInfo);
}

Status CheckWhole(const std::string& stream) {
  XbstreamCheck c;
  Status st = c.Feed(stream);
  return st.ok() ? c.Finish() : st;
}

TEST(XbstreamCheckTest, AcceptsAWholeStreamInAnySlicing) {
  const std::string s = GoodStream();
  for (size_t slice : {size_t{1}, size_t{7}, size_t{64}, s.size()}) {
    XbstreamCheck c({kInfo});
    for (size_t i = 0; i < s.size(); i += slice) {
      ASSERT_TRUE(c.Feed(std::string_view(s).substr(i, slice)).ok()) << slice;
    }
    ASSERT_TRUE(c.Finish().ok()) << slice;
    EXPECT_EQ(c.Contents(kInfo), "mysql-bin.000002\t342\t0-1-7\n");
    EXPECT_EQ(c.Contents("ibdata1"), "");  // not asked for
    EXPECT_EQ(c.files(), 2u);
    EXPECT_EQ(c.chunks(), 6u);
  }
}

TEST(XbstreamCheckTest, RefusesWhatMbstreamWouldNot) {
  struct Case {
    const char* name;
    std::string stream;
    const char* error;
  };
  const Case cases[] = {
      {"a payload's checksum", Payload("f", 0, "data", 1), "CRC-32"},
      {"wrong magic", "XBSTCK02" + GoodStream().substr(8), "magic"},
      {"an unknown chunk type", Payload("f", 0, "data", 0, 'Z'), "unknown chunk type"},
      {"a path as long as FN_REFLEN", Payload(std::string(512, 'p'), 0, "x"), "path length"},
      {"a chunk missing", Payload("f", 0, "ab") + Payload("f", 4, "cd"), "expected 2"},
      {"ends inside a payload", GoodStream().substr(0, 1100), "truncated"},
      {"ends inside a header", GoodStream() + "XBSTCK", "truncated"},
      {"empty", "", "empty"},
  };
  for (const Case& c : cases) {
    const Status st = CheckWhole(c.stream);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << c.name;
    EXPECT_NE(st.message().find(c.error), std::string::npos) << c.name << ": " << st.message();
  }
}

TEST(XbstreamCheckTest, SkipsIgnorableUnknownChunksAsMbstreamDoes) {
  EXPECT_TRUE(CheckWhole(Payload("f", 0, "ab") + Payload("x", 9, "??", 5, 'Z', 0x01) +
                         Payload("f", 2, "cd") + End("f"))
                  .ok());
}

TEST(XbstreamCheckTest, AFileWrittenAgainAfterItsEndStartsAtZero) {
  EXPECT_TRUE(
      CheckWhole(Payload("f", 0, "ab") + End("f") + Payload("f", 0, "abcd") + End("f")).ok());
}

TEST(XbstreamCheckTest, TheFirstErrorSticks) {
  XbstreamCheck c;
  EXPECT_FALSE(c.Feed(Payload("f", 0, "data", 1)).ok());
  EXPECT_FALSE(c.Feed(GoodStream()).ok());
  EXPECT_FALSE(c.Finish().ok());
}

}  // namespace
}  // namespace mysqlset::backup
