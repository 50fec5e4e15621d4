#include "local/cluster_dir.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "posix/posix_env.h"

namespace mysqlset::local {
namespace {

class ClusterDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/mysqlset-local-test-XXXXXX";
    root_ = mkdtemp(tmpl.data());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
  PosixFileSystem fs_;
};

TEST_F(ClusterDirTest, PrepareWritesSecretsConfigClientCnfAndSpec) {
  ClusterPaths paths(root_ + "/c");
  ClusterSpec spec{"mysql", 3, 13306};
  ASSERT_TRUE(PrepareClusterDir(fs_, paths, spec).ok());
  struct stat st;
  ASSERT_EQ(stat(paths.client_cnf().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(fs_.ReadFile(paths.client_cnf())->find("user=app\n"), std::string::npos);
  ASSERT_EQ(stat(paths.admin_cnf().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(fs_.ReadFile(paths.admin_cnf())->find("user=admin\n"), std::string::npos);
  ASSERT_EQ(stat((paths.secrets_dir() + "/admin-password").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(fs_.Exists(paths.config_dir() + "/mysqlset.cnf"));
  auto back = LoadSpec(fs_, paths);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, spec);
  // Re-preparing keeps the passwords and a locally edited config file.
  const std::string pw = *fs_.ReadFile(paths.secrets_dir() + "/admin-password");
  ASSERT_TRUE(fs_.WriteFileAtomic(paths.config_dir() + "/mysqlset.cnf", "[mariadbd]\n", 0644).ok());
  ASSERT_TRUE(PrepareClusterDir(fs_, paths, spec).ok());
  EXPECT_EQ(*fs_.ReadFile(paths.secrets_dir() + "/admin-password"), pw);
  EXPECT_EQ(*fs_.ReadFile(paths.config_dir() + "/mysqlset.cnf"), "[mariadbd]\n");
  EXPECT_FALSE(RunningSupervisor(paths).has_value());
}

TEST_F(ClusterDirTest, PurgeRefusesForeignDirsAndKeepsForeignFiles) {
  ClusterPaths foreign(root_);
  std::ofstream(root_ + "/precious.txt") << "keep";
  EXPECT_FALSE(LooksLikeClusterDir(fs_, foreign));

  ClusterPaths paths(root_ + "/c");
  ASSERT_TRUE(PrepareClusterDir(fs_, paths, {"mysql", 1, 13306}).ok());
  ASSERT_TRUE(LooksLikeClusterDir(fs_, paths));
  std::ofstream(paths.dir() + "/notes.txt") << "mine";
  ASSERT_TRUE(fs_.MakeDirs(paths.etcd_data_dir(0) + "/member", 0700).ok());
  std::ofstream(paths.etcd_log(0)) << "etcd";
  ASSERT_TRUE(PurgeClusterDir(fs_, paths).ok());
  EXPECT_FALSE(fs_.Exists(paths.members_dir()));
  EXPECT_FALSE(fs_.Exists(paths.secrets_dir()));
  EXPECT_FALSE(fs_.Exists(paths.etcd_dir()));
  EXPECT_FALSE(fs_.Exists(paths.etcd_log(0)));
  EXPECT_TRUE(fs_.Exists(paths.dir() + "/notes.txt"));
  EXPECT_TRUE(fs_.Exists(root_ + "/precious.txt"));
}

TEST_F(ClusterDirTest, NoClusterIsNotFound) {
  auto spec = LoadSpec(fs_, ClusterPaths(root_));
  EXPECT_EQ(spec.status().code(), StatusCode::kNotFound);
}

TEST_F(ClusterDirTest, PortInUseNamesThePort) {
  // Bind a port, then ask whether it is free.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  Status st = CheckPortsFree({{port, "mysql-1 agent"}});
  close(fd);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find(std::to_string(port) + " (mysql-1 agent)"), std::string::npos);
}

}  // namespace
}  // namespace mysqlset::local
