#include "core/backup_target.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

BackupTargetFlags Flags(bool dir, std::string cluster, std::string from_host, bool token_file,
                        uint32_t members = 0) {
  BackupTargetFlags f;
  f.dir_given = dir;
  f.cluster = std::move(cluster);
  f.from_host = std::move(from_host);
  f.token_file_given = token_file;
  f.members = members;
  return f;
}

TEST(ChooseBackupTargetKindTest, Table) {
  struct Case {
    const char* name;
    BackupTargetFlags flags;
    std::optional<BackupTargetKind> want;  // nullopt: refused
    const char* error_part = "";
  };
  const std::vector<Case> cases = {
      {"nothing: the local cluster dir", Flags(false, "", "", false), BackupTargetKind::kLocalDir},
      {"--dir", Flags(true, "", "", false), BackupTargetKind::kLocalDir},
      {"--cluster: members by address", Flags(false, "mysql", "", true, 3),
       BackupTargetKind::kMembers},
      {"--cluster without --token-file (the default file)", Flags(false, "mysql", "", false),
       BackupTargetKind::kMembers},
      {"--from-host", Flags(false, "", "mysql-1.mysql:3307", true), BackupTargetKind::kHost},
      {"--from-host names the cluster too", Flags(false, "orders", "h:3307", true),
       BackupTargetKind::kHost},
      {"--dir with --cluster", Flags(true, "mysql", "", true), std::nullopt, "--dir"},
      {"--dir with --from-host", Flags(true, "", "h:3307", true), std::nullopt, "--dir"},
      {"--token-file alone", Flags(false, "", "", true), std::nullopt, "--token-file needs"},
      {"--members without --cluster", Flags(false, "", "", false, 3), std::nullopt,
       "--members needs"},
      {"--members with --from-host", Flags(false, "", "h:3307", true, 3), std::nullopt,
       "--members goes with --cluster"},
  };
  for (const Case& c : cases) {
    auto got = ChooseBackupTargetKind(c.flags);
    if (c.want) {
      ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().message();
      EXPECT_EQ(*got, *c.want) << c.name;
    } else {
      ASSERT_FALSE(got.ok()) << c.name;
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << c.name;
      EXPECT_NE(got.status().message().find(c.error_part), std::string::npos)
          << c.name << ": " << got.status().message();
    }
  }
}

TEST(ParseFromHostTest, Accepts) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (const Case& c : std::vector<Case>{{"mysql-1.mysql:3307", "mysql-1.mysql", 3307},
                                         {"127.0.0.1:13308", "127.0.0.1", 13308},
                                         {"[::1]:3307", "::1", 3307},
                                         {"h:65535", "h", 65535}}) {
    auto got = ParseFromHost(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().message();
    EXPECT_EQ(got->host, c.host) << c.text;
    EXPECT_EQ(got->port, c.port) << c.text;
  }
}

TEST(ParseFromHostTest, RefusesWithOneLineNamingTheFlag) {
  for (const char* text :
       {"", "mysql-1", ":3307", "h:", "h:0", "h:65536", "h:33o7", "h:-1", "::1:3307", "[::1]3307",
        "[]:3307", "a b:3307", "u@h:3307", "h/x:3307", "h\n:3307"}) {
    auto got = ParseFromHost(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(got.status().message().starts_with("--from-host ")) << got.status().message();
    EXPECT_EQ(got.status().message().find('\n'), std::string::npos) << got.status().message();
  }
}

TEST(MemberNameForHostTest, FromTheFlagOrTheHostsFirstLabel) {
  EXPECT_EQ(*MemberNameForHost({"mysql-1.mysql.db.svc.cluster.local", 3307}, ""), "mysql-1");
  EXPECT_EQ(*MemberNameForHost({"orders-mysql-2", 3307}, ""), "orders-mysql-2");
  EXPECT_EQ(*MemberNameForHost({"127.0.0.1", 13308}, "mysql-1"), "mysql-1");
  EXPECT_EQ(*MemberNameForHost({"mysql-1.mysql", 3307}, "mysql-2"), "mysql-2")
      << "--from wins: the host may be a Service or an IP";
}

TEST(MemberNameForHostTest, RefusesWhatNamesNoMember) {
  auto ip = MemberNameForHost({"10.0.0.7", 3307}, "");
  ASSERT_FALSE(ip.ok());
  EXPECT_NE(ip.status().message().find("add --from NAME"), std::string::npos)
      << ip.status().message();
  auto svc = MemberNameForHost({"mysql.db.svc", 3307}, "");
  ASSERT_FALSE(svc.ok());
  auto bad_from = MemberNameForHost({"10.0.0.7", 3307}, "../x");
  ASSERT_FALSE(bad_from.ok());
  EXPECT_TRUE(bad_from.status().message().starts_with("--from")) << bad_from.status().message();
}

TEST(OrdinalOfFromTest, OnlyMembersOfTheCluster) {
  EXPECT_EQ(*OrdinalOfFrom("mysql", 3, "mysql-0"), 0u);
  EXPECT_EQ(*OrdinalOfFrom("mysql", 3, "mysql-2"), 2u);
  EXPECT_EQ(*OrdinalOfFrom("orders-mysql", 3, "orders-mysql-1"), 1u);
  for (const char* bad : {"mysql-3", "orders-mysql-1", "mysql", "mysql-01", "", "MYSQL-1"}) {
    auto got = OrdinalOfFrom("mysql", 3, bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find("(mysql-0 .. mysql-2)"), std::string::npos)
        << got.status().message();
  }
}

std::optional<PeerStatus> Primary(uint32_t ord, bool ready) {
  return PeerStatus{ord, true, ready, 0.0};
}
std::optional<PeerStatus> Replica(uint32_t ord, bool ready, std::optional<double> lag) {
  return PeerStatus{ord, false, ready, lag};
}
constexpr std::nullopt_t kDown = std::nullopt;

TEST(BestBackupMemberTest, Table) {
  struct Case {
    const char* name;
    std::vector<std::optional<PeerStatus>> statuses;
    std::optional<uint32_t> want;  // nullopt: refused
    const char* error_part = "";
  };
  const std::vector<Case> cases = {
      {"least-lagging ready replica",
       {Primary(0, true), Replica(1, true, 4), Replica(2, true, 1)},
       2},
      {"a not-ready replica is skipped", {Primary(0, true), Replica(1, false, 0)}, 0},
      {"the primary is no longer ordinal 0 after a failover",
       {Replica(0, false, std::nullopt), Primary(1, true), kDown},
       1},
      {"members beyond the StatefulSet's replicas do not answer: skipped",
       {Primary(0, true), Replica(1, true, 0), kDown, kDown, kDown, kDown, kDown, kDown, kDown},
       1},
      {"nobody answered: say so (wrong addresses or no cluster)",
       {kDown, kDown, kDown},
       std::nullopt,
       "answered on its agent port (asked mysql-0 .. mysql-2)"},
      {"no fallback to the highest ordinal when nobody answered",
       {kDown},
       std::nullopt,
       "answered"},
      {"answered, none ready",
       {Primary(0, false), Replica(1, false, 0)},
       std::nullopt,
       "is ready to stream"},
  };
  for (const Case& c : cases) {
    auto got = BestBackupMember("mysql", c.statuses);
    if (c.want) {
      ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().message();
      EXPECT_EQ(*got, *c.want) << c.name;
    } else {
      ASSERT_FALSE(got.ok()) << c.name;
      EXPECT_EQ(got.status().code(), StatusCode::kUnavailable) << c.name;
      EXPECT_NE(got.status().message().find(c.error_part), std::string::npos)
          << c.name << ": " << got.status().message();
    }
  }
}

}  // namespace
}  // namespace mysqlset
