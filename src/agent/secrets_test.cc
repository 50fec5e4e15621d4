#include "agent/secrets.h"

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

TEST(SecretsTest, GeneratesOnceWithMode0600AndLoads) {
  MemFileSystem fs;
  ASSERT_TRUE(EnsureSecrets(fs, "/s").ok());
  auto first = LoadSecrets(fs, "/s");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(fs.ModeOf("/s/admin-password"), 0600u);
  EXPECT_EQ(fs.ModeOf("/s/backup-token"), 0600u);
  EXPECT_GE(first->admin_password.size(), 20u);
  EXPECT_NE(first->admin_password, first->monitor_password);
  ASSERT_TRUE(EnsureSecrets(fs, "/s").ok());  // never rotates a password a server already has
  EXPECT_EQ(LoadSecrets(fs, "/s")->admin_password, first->admin_password);
}

TEST(SecretsTest, MissingEmptyOrMultilineFilesFailWithoutShowingValues) {
  MemFileSystem fs;
  ASSERT_TRUE(EnsureSecrets(fs, "/s").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/s/monitor-password", "\n", 0600).ok());
  auto empty = LoadSecrets(fs, "/s");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("monitor-password is empty"), std::string::npos);

  ASSERT_TRUE(fs.WriteFileAtomic("/s/monitor-password", "hunter2\nsecond-line\n", 0600).ok());
  auto multi = LoadSecrets(fs, "/s");
  ASSERT_FALSE(multi.ok());
  EXPECT_EQ(multi.status().message().find("hunter2"), std::string::npos);

  ASSERT_TRUE(fs.RemoveAll("/s/backup-token").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/s/monitor-password", "ok\n", 0600).ok());
  auto missing = LoadSecrets(fs, "/s");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("backup-token"), std::string::npos);
}

TEST(SecretsTest, TrailingNewlineIsNotPartOfThePassword) {
  MemFileSystem fs;
  ASSERT_TRUE(EnsureSecrets(fs, "/s").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/s/admin-password", "s3cret\r\n", 0600).ok());
  EXPECT_EQ(LoadSecrets(fs, "/s")->admin_password, "s3cret");
}

}  // namespace
}  // namespace mysqlset
