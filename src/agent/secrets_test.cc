#include "agent/secrets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "posix/posix_env.h"
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

TEST(SecretsTest, GroupOrWorldReadableSecretIsRefusedWithHowToFixIt) {
  MemFileSystem fs;
  ASSERT_TRUE(EnsureSecrets(fs, "/s").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/s/backup-token", "t0ken\n", 0644).ok());
  auto world = LoadSecrets(fs, "/s");
  ASSERT_FALSE(world.ok());
  EXPECT_EQ(world.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(world.status().message(),
            "secret file /s/backup-token has mode 0644; it must not be readable by group or "
            "others: chmod 600 /s/backup-token");
  EXPECT_EQ(world.status().message().find("t0ken"), std::string::npos);

  ASSERT_TRUE(fs.WriteFileAtomic("/s/backup-token", "t0ken\n", 0440).ok());
  EXPECT_FALSE(LoadSecrets(fs, "/s").ok()) << "group-readable, ours: 0600 would do";
  fs.SetOwnedByOther("/s/backup-token");  // a Kubernetes Secret with fsGroup: root:fsGroup 0440
  EXPECT_TRUE(LoadSecrets(fs, "/s").ok());
}

// A Kubernetes Secret volume: each key is a symlink to ..data/KEY, ..data a symlink to a
// timestamped dir. The symlinks are 0777; the target's mode is what counts.
TEST(SecretsTest, KubernetesSymlinkLayoutIsJudgedByTheTargetsMode) {
  std::string tmpl = "/tmp/mysqlset-secrets-test-XXXXXX";
  const std::string root = mkdtemp(tmpl.data());
  PosixFileSystem fs;
  const std::string dir = root + "/secrets";
  const std::string real = dir + "/..2026_11_29_21_00_00.123";
  ASSERT_TRUE(fs.MakeDirs(real, 0755).ok());
  std::filesystem::create_directory_symlink("..2026_11_29_21_00_00.123", dir + "/..data");
  for (const char* name : {kAdminPasswordFile, kReplicationPasswordFile, kBackupPasswordFile,
                           kMonitorPasswordFile, kBackupTokenFile, kAppPasswordFile}) {
    ASSERT_TRUE(fs.WriteFileAtomic(real + "/" + name, std::string("v-") + name, 0600).ok());
    std::filesystem::create_symlink(std::string("..data/") + name, dir + "/" + name);
  }
  EXPECT_TRUE(LoadSecrets(fs, dir).ok());
  ASSERT_EQ(chmod((real + "/" + kAdminPasswordFile).c_str(), 0644), 0);
  auto refused = LoadSecrets(fs, dir);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(dir + "/admin-password has mode 0644"),
            std::string::npos)
      << refused.status().message();
  if (geteuid() == 0) {
    // What the kubelet makes of defaultMode 0400 with fsGroup 999: root:999, 0440, and the
    // container runs as uid 999. Here: owned by another user, group-readable, accepted.
    for (const char* name : {kAdminPasswordFile, kReplicationPasswordFile, kBackupPasswordFile,
                             kMonitorPasswordFile, kBackupTokenFile, kAppPasswordFile}) {
      const std::string target = real + "/" + name;
      ASSERT_EQ(chown(target.c_str(), 65534, 999), 0);
      ASSERT_EQ(chmod(target.c_str(), 0440), 0);
    }
    EXPECT_TRUE(LoadSecrets(fs, dir).ok());
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace mysqlset
