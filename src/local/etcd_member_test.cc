#include "local/etcd_member.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mysqlset::local {
namespace {

// The value following `flag` in `argv`; "" when the flag is missing.
std::string FlagValue(const std::vector<std::string>& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

TEST(EtcdArgv, Table) {
  const ClusterPaths paths("/c");
  struct Case {
    int members;
    int index;
    std::string name, data_dir, client, peer, initial_cluster;
  };
  const std::vector<Case> cases = {
      {1, 0, "etcd-0", "/c/etcd/0", "http://127.0.0.1:13290", "http://127.0.0.1:13291",
       "etcd-0=http://127.0.0.1:13291"},
      {3, 0, "etcd-0", "/c/etcd/0", "http://127.0.0.1:13290", "http://127.0.0.1:13291",
       "etcd-0=http://127.0.0.1:13291,etcd-1=http://127.0.0.1:13293,"
       "etcd-2=http://127.0.0.1:13295"},
      {3, 2, "etcd-2", "/c/etcd/2", "http://127.0.0.1:13294", "http://127.0.0.1:13295",
       "etcd-0=http://127.0.0.1:13291,etcd-1=http://127.0.0.1:13293,"
       "etcd-2=http://127.0.0.1:13295"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + " of " + std::to_string(c.members));
    const ClusterSpec spec{.name = "mysql",
                           .replicas = 3,
                           .base_port = 13306,
                           .etcd_members = c.members,
                           .etcd_token = "mysqlset-feed"};
    const auto argv = EtcdArgv(spec, paths, c.index, "/usr/bin/etcd");
    EXPECT_EQ(argv[0], "/usr/bin/etcd");
    EXPECT_EQ(FlagValue(argv, "--name"), c.name);
    EXPECT_EQ(FlagValue(argv, "--data-dir"), c.data_dir);
    EXPECT_EQ(FlagValue(argv, "--listen-client-urls"), c.client);
    EXPECT_EQ(FlagValue(argv, "--advertise-client-urls"), c.client);
    EXPECT_EQ(FlagValue(argv, "--listen-peer-urls"), c.peer);
    EXPECT_EQ(FlagValue(argv, "--initial-advertise-peer-urls"), c.peer);
    EXPECT_EQ(FlagValue(argv, "--initial-cluster"), c.initial_cluster);
    EXPECT_EQ(FlagValue(argv, "--initial-cluster-state"), "new");
    EXPECT_EQ(FlagValue(argv, "--initial-cluster-token"), "mysqlset-feed");
  }
}

TEST(EtcdArgv, ALoneMemberElectsItselfFastSeveralKeepTheDefaults) {
  const auto one = EtcdArgv({.etcd_members = 1}, ClusterPaths("/c"), 0);
  EXPECT_EQ(FlagValue(one, "--heartbeat-interval"), "10");
  EXPECT_EQ(FlagValue(one, "--election-timeout"), "100");
  const auto three = EtcdArgv({.etcd_members = 3}, ClusterPaths("/c"), 0);
  EXPECT_EQ(FlagValue(three, "--heartbeat-interval"), "");
  EXPECT_EQ(FlagValue(three, "--election-timeout"), "");
}

// etcd#12297: with --config-file, etcd 3.4 serves no v3 JSON gateway.
TEST(EtcdArgv, FlagsOnlyNeverAConfigFile) {
  const auto argv = EtcdArgv({.etcd_members = 3}, ClusterPaths("/c"), 1);
  EXPECT_EQ(argv[0], "etcd");
  for (const std::string& word : argv) EXPECT_EQ(word.find("config-file"), std::string::npos);
}

TEST(EtcdArgv, TwoClustersGetDifferentTokens) {
  const ClusterSpec a{.name = "a", .base_port = 13306};
  const ClusterSpec b{.name = "b", .base_port = 23306};
  EXPECT_NE(FlagValue(EtcdArgv(a, ClusterPaths("/a"), 0), "--initial-cluster-token"),
            FlagValue(EtcdArgv(b, ClusterPaths("/b"), 0), "--initial-cluster-token"));
}

}  // namespace
}  // namespace mysqlset::local
