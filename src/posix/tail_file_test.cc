#include "posix/tail_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mysqlset {
namespace {

class TailFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/mysqlset-tail-test-XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    path_ = dir_ + "/log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }

  std::string dir_;
  std::string path_;
};

TEST_F(TailFileTest, SmallFileWhole) {
  Write("one\ntwo\n");
  EXPECT_EQ(TailFile(path_, 100), "one\ntwo\n");
  EXPECT_EQ(TailFile(path_, 8), "one\ntwo\n");
  Write("");
  EXPECT_EQ(TailFile(path_, 100), "");
}

TEST_F(TailFileTest, CutLineAtTheStartIsDropped) {
  Write("first line\nsecond\nthird\n");
  EXPECT_EQ(TailFile(path_, 10), "third\n");          // "ond\nthird\n": "ond" was cut
  EXPECT_EQ(TailFile(path_, 13), "second\nthird\n");  // starts on a line boundary: kept
  EXPECT_EQ(TailFile(path_, 14), "second\nthird\n");  // "\nsecond...": the empty rest dropped
  EXPECT_EQ(TailFile(path_, 3), "rd\n");              // a line longer than the window: its end
}

TEST_F(TailFileTest, LongLineWithoutNewlineGivesTheLastBytes) {
  Write(std::string(1000, 'x') + "END");
  EXPECT_EQ(TailFile(path_, 10), "xxxxxxxEND");
}

TEST_F(TailFileTest, MissingOrNotAFileIsEmpty) {
  EXPECT_EQ(TailFile(dir_ + "/missing", 100), "");
  EXPECT_EQ(TailFile(dir_, 100), "");
}

TEST_F(TailFileTest, HugeFileReadsOnlyTheTail) {
  // 8 GiB, sparse: reading it whole would take many seconds and the memory to hold it.
  { std::ofstream(path_) << "head\n"; }
  const int fd = open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const off_t size = off_t{8} << 30;
  ASSERT_EQ(ftruncate(fd, size), 0);
  const std::string end = "\nbefore last\nlast line\n";
  ASSERT_EQ(pwrite(fd, end.data(), end.size(), size), static_cast<ssize_t>(end.size()));
  close(fd);
  EXPECT_EQ(TailFile(path_, 16384), "before last\nlast line\n");
  EXPECT_EQ(TailFile(path_, 12), "last line\n");
}

}  // namespace
}  // namespace mysqlset
