#include "local/member_lookup.h"

#include <gtest/gtest.h>

namespace mysqlset::local {
namespace {

const ClusterSpec kSpec{"mysql", 3, 13306};
const ClusterPaths kPaths("/d");

TEST(MemberOrdinal, Table) {
  struct Case {
    std::string member;
    int ordinal;  // -1: refused
  };
  const std::vector<Case> cases = {
      {"mysql-0", 0},
      {"mysql-2", 2},
      {"1", 1},
      {"mysql-3", -1},
      {"3", -1},
      {"mysql-01", -1},
      {"01", -1},
      {"db-1", -1},
      {"mysql-", -1},
      {"", -1},
      {"-1", -1},
      {"mysql-1x", -1},
      {"mysql-99999999999", -1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.member);
    auto got = MemberOrdinal(kSpec, c.member);
    if (c.ordinal < 0) {
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(got.status().message().find("its members are mysql-0 .. mysql-2"),
                std::string::npos)
          << got.status().message();
    } else {
      ASSERT_TRUE(got.ok()) << got.status().message();
      EXPECT_EQ(*got, static_cast<uint32_t>(c.ordinal));
    }
  }
  // A name with a newline is shown escaped, so it cannot split the error line.
  auto bad = MemberOrdinal(kSpec, "mysql-1\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find('\n'), std::string::npos);
}

TEST(ChooseSqlTarget, WriteEndpointMemberOrReadEndpoint) {
  auto write = ChooseSqlTarget(kSpec, "", false);
  ASSERT_TRUE(write.ok());
  EXPECT_EQ(write->port, 13300);
  EXPECT_EQ(write->host, "127.0.0.1");
  auto read = ChooseSqlTarget(kSpec, "", true);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->port, 13301);
  auto member = ChooseSqlTarget(kSpec, "mysql-2", false);
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(member->port, 13326);
  EXPECT_EQ(member->what, "mysql-2");
  EXPECT_FALSE(ChooseSqlTarget(kSpec, "mysql-7", false).ok());
}

TEST(SqlClientArgv, CredentialsFileFirstAndNoPassword) {
  const auto argv = SqlClientArgv(kPaths, {"127.0.0.1", 13300, "write endpoint"}, "SELECT 1");
  const std::vector<std::string> want = {"mariadb", "--defaults-extra-file=/d/client.cnf",
                                         "--host=127.0.0.1", "--port=13300", "--execute=SELECT 1"};
  EXPECT_EQ(argv, want);
  for (const auto& a : argv) EXPECT_EQ(a.find("password"), std::string::npos) << a;
  EXPECT_EQ(SqlClientArgv(kPaths, {"127.0.0.1", 13300, ""}, "").size(), 4u);
  EXPECT_EQ(SqlClientArgv(kPaths, {"127.0.0.1", 13300, ""}, "", /*admin=*/true)[1],
            "--defaults-extra-file=/d/admin.cnf");
}

TEST(LogFilesFor, Table) {
  struct Case {
    std::string member, component;
    std::vector<std::string> files;  // empty: refused
  };
  const std::string m1 = "/d/members/mysql-1/logs/";
  const std::vector<Case> cases = {
      {"", "", {"/d/supervisor.log"}},
      {"", "supervisor", {"/d/supervisor.log"}},
      {"", "haproxy", {"/d/haproxy.log"}},
      {"", "agent", {}},
      {"mysql-1", "", {m1 + "init.log", m1 + "clone.log", m1 + "mariadbd.log", m1 + "agent.log"}},
      {"1", "mariadbd", {m1 + "mariadbd.log"}},
      {"mysql-1", "supervisor", {}},
      {"mysql-1", "bogus", {}},
      {"mysql-9", "", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.member + "/" + c.component);
    auto got = LogFilesFor(kSpec, kPaths, c.member, c.component);
    if (c.files.empty()) {
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    } else {
      ASSERT_TRUE(got.ok()) << got.status().message();
      EXPECT_EQ(*got, c.files);
    }
  }
}

}  // namespace
}  // namespace mysqlset::local
