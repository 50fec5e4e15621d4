#include "local/cluster_spec.h"

#include <gtest/gtest.h>

#include <set>

namespace mysqlset::local {
namespace {

TEST(ValidateSpec, Table) {
  struct Case {
    ClusterSpec spec;
    bool ok;
  };
  const std::vector<Case> cases = {
      {{"mysql", 3, 13306}, true},   {{"mysql", 1, 13306}, true},   {{"mysql", 0, 13306}, false},
      {{"mysql", -2, 13306}, false}, {{"mysql", 65, 13306}, false}, {{"My_SQL", 3, 13306}, false},
      {{"", 3, 13306}, false},       {{"mysql", 3, 1000}, false},   {{"mysql", 3, 65530}, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ValidateSpec(c.spec).ok(), c.ok) << SpecToJson(c.spec);
  }
  EXPECT_EQ(ValidateSpec({"mysql", 0, 13306}).code(), StatusCode::kInvalidArgument);
}

TEST(ValidateSpec, EtcdMembersAndTheLowestPort) {
  struct Case {
    int etcd_members;
    uint16_t base_port;
    bool ok;
  };
  const std::vector<Case> cases = {
      {1, 13306, true},
      {3, 13306, true},
      {5, 13306, true},
      {0, 13306, false},
      {2, 13306, false},
      {4, 13306, false},
      {7, 13306, false},
      {-1, 13306, false},
      // etcd member 0's client port, P-16, is the lowest port of the layout.
      {1, 1040, true},
      {1, 1039, false},
  };
  for (const auto& c : cases) {
    ClusterSpec spec{.base_port = c.base_port, .etcd_members = c.etcd_members};
    EXPECT_EQ(ValidateSpec(spec).ok(), c.ok) << SpecToJson(spec);
  }
  const Status bad = ValidateSpec({.etcd_members = 2});
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("1, 3 or 5"), std::string::npos) << bad.message();
}

TEST(ClusterSpec, JsonRoundTrip) {
  ClusterSpec s{"db", 5, 20006};
  auto back = SpecFromJson(SpecToJson(s), "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(SpecFromJson("{", "x").ok());
  EXPECT_FALSE(SpecFromJson(R"({"name":"db","replicas":0,"base_port":20006})", "x").ok());
  ClusterSpec three{"db", 3, 20006, 3, "mysqlset-0123abcd"};
  EXPECT_EQ(*SpecFromJson(SpecToJson(three), "x"), three);
  EXPECT_FALSE(
      SpecFromJson(R"({"name":"db","replicas":3,"base_port":20006,"etcd_members":2})", "x").ok());
}

// `up --repo R --archive-interval S` is kept in cluster.json; files without it archive nothing.
TEST(ClusterSpec, BinlogArchiveSettingsRoundTrip) {
  ClusterSpec s{"db", 2, 20006};
  s.archive_repo = "/srv/backups";
  s.archive_interval_s = 5;
  auto back = SpecFromJson(SpecToJson(s), "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  auto old = SpecFromJson(R"({"name":"db","replicas":2,"base_port":20006})", "x");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->archive_repo, "");
}

// `up --backup-schedule CRON [--backup-verify-schedule CRON]` is kept in cluster.json too.
TEST(ClusterSpec, BackupScheduleRoundTripsAndIsValidated) {
  ClusterSpec s{"db", 2, 20006};
  s.archive_repo = "/srv/backups";
  s.backup_schedule = "0 3 * * *";
  s.backup_verify_schedule = "30 4 * * 0";
  s.backup_keep_last = 7;
  s.backup_keep_days = 14;
  EXPECT_EQ(RetentionArgs(s), (std::vector<std::string>{"--keep-last", "7", "--keep-days", "14"}));
  auto back = SpecFromJson(SpecToJson(s), "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  auto old = SpecFromJson(R"({"name":"db","replicas":2,"base_port":20006})", "x");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->backup_schedule, "");

  struct Case {
    const char* schedule;
    const char* verify;
    const char* repo;
    const char* want;
  };
  const Case cases[] = {
      {"0 3 * * MON", "", "/r", "--backup-schedule: field 5 (day of week) 'MON'"},
      {"0 3 * * *", "61 * * * *", "/r", "--backup-verify-schedule: field 1 (minute) '61'"},
      {"0 3 * * *", "", "", "--backup-schedule needs --repo R"},
      {"", "0 3 * * *", "/r", "--backup-verify-schedule needs --backup-schedule"},
      {"", "", "/r", "--keep-last/--keep-days on up need --backup-schedule"},
  };
  for (const Case& c : cases) {
    ClusterSpec bad{"db", 2, 20006};
    bad.archive_repo = c.repo;
    bad.backup_schedule = c.schedule;
    bad.backup_verify_schedule = c.verify;
    bad.backup_keep_last = 3;
    const Status st = ValidateSpec(bad);
    EXPECT_EQ(st.message().rfind(c.want, 0), 0u) << st.message();
  }
}

// A later `up` changes only the backup settings it is given: `up --repo R` alone on a
// cluster archiving every 5 s keeps 5 s (it used to fall back to the flag's default, 30).
TEST(ApplyBackupFlags, FlagsNotGivenKeepTheStoredValues) {
  ClusterSpec stored{"db", 2, 20006};
  stored.archive_repo = "/srv/a";
  stored.archive_interval_s = 5;
  stored.backup_schedule = "0 3 * * *";
  stored.backup_verify_schedule = "0 4 * * 0";
  stored.backup_keep_last = 7;
  stored.backup_keep_days = 14;
  struct Case {
    const char* name;
    BackupFlagsGiven given;
    ClusterSpec want;  // from `stored`, by `edit`
  };
  auto edit = [&](auto f) {
    ClusterSpec s = stored;
    f(s);
    return s;
  };
  const Case cases[] = {
      {"nothing given", {}, stored},
      {"the same repo again", {.repo = "/srv/a"}, stored},
      {"another repo keeps the interval", {.repo = "/srv/b"}, edit([](ClusterSpec& s) {
         s.archive_repo = "/srv/b";
       })},
      {"an interval alone", {.archive_interval_s = 60}, edit([](ClusterSpec& s) {
         s.archive_interval_s = 60;
       })},
      {"a schedule removed",
       {.backup_schedule = "", .backup_verify_schedule = "", .keep_last = 0, .keep_days = 0},
       edit([](ClusterSpec& s) {
         s.backup_schedule = s.backup_verify_schedule = "";
         s.backup_keep_last = s.backup_keep_days = 0;
       })},
      {"one retention rule changed", {.keep_days = 3}, edit([](ClusterSpec& s) {
         s.backup_keep_days = 3;
       })},
  };
  for (const Case& c : cases) {
    ClusterSpec s = stored;
    ASSERT_TRUE(ApplyBackupFlags(c.given, s).ok()) << c.name;
    EXPECT_EQ(s, c.want) << c.name;
  }
  // A new cluster: the defaults, then the flags.
  ClusterSpec fresh{"db", 2, 20006};
  ASSERT_TRUE(ApplyBackupFlags({.repo = "/srv/a"}, fresh).ok());
  EXPECT_EQ(fresh.archive_interval_s, ClusterSpec{}.archive_interval_s);
  // An interval with no repository, given or stored, would be saved and do nothing.
  ClusterSpec none{"db", 2, 20006};
  const Status st = ApplyBackupFlags({.archive_interval_s = 5}, none);
  EXPECT_EQ(st.message(), "--archive-interval needs --repo R: the repository binlogs go to");
}

// cluster.json files written before etcd joined the local cluster still load: one etcd
// member, and a token derived from the name and base port.
TEST(ClusterSpec, AFileWithoutEtcdFieldsGetsTheDefaults) {
  auto old = SpecFromJson(R"({"name":"db","replicas":2,"base_port":20006})", "x");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->etcd_members, 1);
  EXPECT_EQ(old->etcd_token, "");
  EXPECT_EQ(EtcdTokenOf(*old), "mysqlset-db-20006");
  EXPECT_EQ(EtcdTokenOf({.etcd_token = "t"}), "t");
  EXPECT_NE(NewEtcdToken(), NewEtcdToken());
}

TEST(ClusterSpec, PortLayout) {
  ClusterSpec s{"mysql", 3, 13306};
  EXPECT_EQ(WritePort(s), 13300);
  EXPECT_EQ(ReadPort(s), 13301);
  const MemberAddress a = MemberAddressOf(s, 2);
  EXPECT_EQ(a.pod_name, "mysql-2");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.mysql_port, 13326);
  EXPECT_EQ(a.agent_port, 13327);
  EXPECT_EQ(a.backup_port, 13328);
  EXPECT_EQ(PortsOf(s).size(), 2u + 2 + 3 * 3);
}

TEST(ClusterSpec, EtcdPortsSitBelowTheEndpointsAndCollideWithNothing) {
  ClusterSpec s{.name = "mysql", .replicas = 3, .base_port = 13306, .etcd_members = 5};
  struct Case {
    int index;
    uint16_t client, peer;
  };
  for (const Case& c : std::vector<Case>{
           {0, 13290, 13291}, {1, 13292, 13293}, {2, 13294, 13295}, {4, 13298, 13299}}) {
    EXPECT_EQ(EtcdClientPort(s, c.index), c.client) << c.index;
    EXPECT_EQ(EtcdPeerPort(s, c.index), c.peer) << c.index;
  }
  std::set<uint16_t> seen;
  for (const PortUse& use : PortsOf(s)) EXPECT_TRUE(seen.insert(use.port).second) << use.what;
  EXPECT_EQ(seen.size(), 2u + 2 * 5 + 3 * 3);
  EXPECT_EQ(*seen.begin(), 13306 - kPortsBelowBase);
  EXPECT_EQ(EtcdEndpoints(s),
            "http://127.0.0.1:13290,http://127.0.0.1:13292,http://127.0.0.1:13294,"
            "http://127.0.0.1:13296,http://127.0.0.1:13298");
  EXPECT_EQ(EtcdEndpoints({.base_port = 13306}), "http://127.0.0.1:13290");
}

TEST(ClientCnf, HasUserAndQuotedPasswordButNoHost) {
  const std::string cnf = RenderClientCnf("admin", R"(p"w\x)");
  EXPECT_NE(cnf.find("[client]\nuser=admin\npassword=\"p\\\"w\\\\x\"\n"), std::string::npos);
  EXPECT_EQ(cnf.find("host="), std::string::npos);
  EXPECT_EQ(cnf.find("port="), std::string::npos);
}

}  // namespace
}  // namespace mysqlset::local
