#include "core/disk_space.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

TEST(ParseByteSizeTest, NumbersAndSuffixes) {
  const std::vector<std::pair<std::string, uint64_t>> good = {
      {"100663296", 100663296}, {"96M", 96u << 20}, {"96m", 96u << 20},        {"512K", 512u << 10},
      {"1G", 1u << 30},         {" 2g ", 2u << 30}, {"1T", uint64_t{1} << 40}, {"0", 0}};
  for (const auto& [text, bytes] : good) {
    SCOPED_TRACE(text);
    auto got = ParseByteSize(text);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(*got, bytes);
  }
  for (const char* bad :
       {"", "M", "96MB", "-1", "1.5G", "lots", "99999999999999999999", "17179869184T"}) {
    SCOPED_TRACE(bad);
    auto got = ParseByteSize(bad);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(InnodbLogFileSizeTest, LaterServerGroupSettingWins) {
  struct Case {
    std::string name;
    std::vector<std::string> texts;
    std::optional<uint64_t> want;
  };
  const std::vector<Case> cases = {
      {"unset", {"[mariadbd]\nlog-bin=x\n"}, std::nullopt},
      {"set", {"[mariadbd]\ninnodb_log_file_size=1G\n"}, uint64_t{1} << 30},
      {"dashes and spaces", {"[mysqld]\n  innodb-log-file-size = 256M \n"}, uint64_t{256} << 20},
      {"quoted", {"[server]\ninnodb_log_file_size='64M'\n"}, uint64_t{64} << 20},
      {"client group ignored", {"[client]\ninnodb_log_file_size=1G\n"}, std::nullopt},
      {"later file wins",
       {"[mariadbd]\ninnodb_log_file_size=1G\n", "[mariadbd]\ninnodb_log_file_size=2G\n"},
       uint64_t{2} << 30},
      {"comments", {"[mariadbd]\n# innodb_log_file_size=1G\n;x\n!include /x\n"}, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = InnodbLogFileSize(c.texts);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(*got, c.want);
  }
  auto garbled = InnodbLogFileSize({"[mariadbd]\ninnodb_log_file_size=huge\n"});
  ASSERT_FALSE(garbled.ok());
  EXPECT_NE(garbled.status().message().find("innodb_log_file_size"), std::string::npos);
  EXPECT_NE(garbled.status().message().find("'huge'"), std::string::npos);
}

// The finding: a disk with room for the backup but not for ib_logfile0 passed the check.
TEST(CloneSpaceNeededTest, CountsTheRedoLogMariadbdPreallocates) {
  EXPECT_EQ(CloneSpaceNeeded(40u << 20, kDefaultInnodbLogFileSize), (40u + 96u) << 20);
  EXPECT_EQ(CloneSpaceNeeded(0, uint64_t{1} << 30), uint64_t{1} << 30);
}

TEST(HumanBytesTest, Units) {
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(3u << 20), "3.0 MiB");
  EXPECT_EQ(HumanBytes(uint64_t{3} << 29), "1.5 GiB");
}

// The warning's threshold: 5 % of the volume, at least 64 MiB, at most 1 GiB.
TEST(DataVolumeWarningTest, Table) {
  constexpr uint64_t MiB = uint64_t{1} << 20, GiB = uint64_t{1} << 30;
  struct Case {
    const char* what;
    VolumeSpace v;
    std::string want_prefix;  // "" no warning
  } cases[] = {
      {"unknown size: nothing said", {0, 0}, ""},
      {"plenty of room", {600 * MiB, GiB}, ""},
      {"small volume: 64 MiB floor, just above", {64 * MiB, 512 * MiB}, ""},
      {"small volume: under the 64 MiB floor",
       {64 * MiB - 1, 512 * MiB},
       "data volume nearly full: 64.0 MiB free of 512.0 MiB"},
      {"100 GiB volume: 5 % is 5 GiB, capped at 1 GiB", {2 * GiB, 100 * GiB}, ""},
      {"100 GiB volume: under 1 GiB", {GiB - 1, 100 * GiB}, "data volume nearly full: "},
      {"10 GiB volume: 5 % is 512 MiB", {511 * MiB, 10 * GiB}, "data volume nearly full: "},
      {"10 GiB volume: 513 MiB is room", {513 * MiB, 10 * GiB}, ""},
      {"under 1 MiB is full", {MiB - 1, GiB}, "data volume full: 1024.0 KiB free of 1.0 GiB"},
      {"nothing free", {0, GiB}, "data volume full: 0 B free of 1.0 GiB"},
  };
  for (const Case& c : cases) {
    const std::string got = DataVolumeWarning(c.v);
    if (c.want_prefix.empty()) {
      EXPECT_EQ(got, "") << c.what;
    } else {
      EXPECT_TRUE(got.starts_with(c.want_prefix)) << c.what << ": " << got;
      EXPECT_NE(got.find("free some or grow the volume"), std::string::npos) << c.what;
    }
  }
}

}  // namespace
}  // namespace mysqlset
