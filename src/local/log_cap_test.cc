#include "local/log_cap.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mysqlset::local {
namespace {
namespace fs = std::filesystem;

class LogCapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mysqlset-log-cap-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void Write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::app) << text;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  std::string dir_;
};

TEST_F(LogCapTest, FileOverTheCapMovesToDotOneAndTheWriterGoesOnAtTheStart) {
  const std::string log = dir_ + "/agent.log";
  Write(log, "old line 1\nold line 2\n");
  // A writer like the supervisor's children: O_APPEND, keeping its descriptor.
  std::ofstream writer(log, std::ios::binary | std::ios::app);
  auto rotated = CapLogFile(log, 10);
  ASSERT_TRUE(rotated.ok()) << rotated.status().message();
  EXPECT_TRUE(*rotated);
  EXPECT_EQ(Read(log + ".1"), "old line 1\nold line 2\n");
  writer << "new line\n" << std::flush;
  EXPECT_EQ(Read(log), "new line\n") << "appends land at the new end, no hole";
  // Under the cap: nothing happens; a second rotation replaces .1.
  EXPECT_FALSE(*CapLogFile(log, 100));
  EXPECT_TRUE(*CapLogFile(log, 5));
  EXPECT_EQ(Read(log + ".1"), "new line\n");
  EXPECT_FALSE(*CapLogFile(dir_ + "/missing.log", 5));
}

TEST_F(LogCapTest, ClusterLogFilesAreTheTopLevelAndMemberLogs) {
  const ClusterPaths paths(dir_);
  Write(paths.supervisor_log(), "s");
  Write(paths.haproxy_log(), "h");
  Write(paths.log_file("mysql-0", "mariadbd"), "m");
  Write(paths.log_file("mysql-1", "agent"), "a");
  Write(dir_ + "/cluster.json", "{}");
  Write(paths.log_file("mysql-1", "agent") + ".1", "old");
  const std::vector<std::string> want = {paths.haproxy_log(), paths.log_file("mysql-0", "mariadbd"),
                                         paths.log_file("mysql-1", "agent"),
                                         paths.supervisor_log()};
  auto got = ClusterLogFiles(paths);
  std::sort(got.begin(), got.end());
  auto sorted = want;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(got, sorted);
}

TEST_F(LogCapTest, RunOnceCapsEveryLog) {
  const ClusterPaths paths(dir_);
  Write(paths.log_file("mysql-0", "mariadbd"), std::string(100, 'x'));
  Write(paths.supervisor_log(), "small\n");
  LogCapper capper(paths, 50, std::chrono::hours(1));  // its thread runs once at start
  capper.RunOnce();
  EXPECT_EQ(Read(paths.log_file("mysql-0", "mariadbd")), "");
  EXPECT_EQ(Read(paths.log_file("mysql-0", "mariadbd") + ".1"), std::string(100, 'x'));
  EXPECT_EQ(Read(paths.supervisor_log()), "small\n");
}

}  // namespace
}  // namespace mysqlset::local
