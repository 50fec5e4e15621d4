#include "agent/clone_receiver.h"

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

TEST(ParseDonorEndpointTest, Table) {
  auto a = ParseDonorEndpoint("127.0.0.1:3307");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 3307);
  EXPECT_EQ(a->name, "127.0.0.1:3307");
  auto b = ParseDonorEndpoint("[::1]:13307");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 13307);
  for (const char* bad :
       {"", "host", ":3307", "host:", "host:0", "host:70000", "host:12x", "[::1]3307"}) {
    EXPECT_EQ(ParseDonorEndpoint(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// A peer's /v1/status, parsed by the one parser of that document, as donor choice sees it.
Result<PeerStatus> ParsePeerStatus(const std::string& body) {
  ASSIGN_OR_RETURN(formats::AgentStatus status, formats::FromJson<formats::AgentStatus>(body));
  return PeerStatusOf(status);
}

TEST(PeerStatusOfTest, ReadsRoleReadyLagGtid) {
  auto s = ParsePeerStatus(
      R"({"pod":"mysql-1","ordinal":1,"role":"replica","ready":true,"lag_seconds":2.5,"x":1,)"
      R"("gtid_current":"0-100-42"})");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ordinal, 1u);
  EXPECT_EQ(s->gtid, "0-100-42");
  EXPECT_FALSE(s->is_primary);
  EXPECT_TRUE(s->ready);
  EXPECT_EQ(s->lag_seconds, 2.5);
  auto p = ParsePeerStatus(R"({"ordinal":0,"role":"primary","ready":false,"lag_seconds":null})");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->is_primary);
  EXPECT_FALSE(p->ready);
  EXPECT_FALSE(p->lag_seconds.has_value());
  EXPECT_EQ(p->gtid, "");
  EXPECT_FALSE(ParsePeerStatus("not json").ok());
  EXPECT_FALSE(ParsePeerStatus("[1,2]").ok());
  EXPECT_FALSE(ParsePeerStatus(R"({"role":"primary"})").ok());  // no "ready": not a donor
  // Ready only on the stale-read rule (its primary unreachable): no donor.
  auto stale = ParsePeerStatus(
      R"({"ordinal":1,"role":"replica","ready":true,"lag_seconds":null,)"
      R"("stale_reads":"serving possibly stale reads: primary unreachable for 4 s"})");
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->ready);
  // Ready only while it waits for a cold start's election: no donor either.
  for (const char* decision : {"wait", "campaign"}) {
    auto waiting =
        ParsePeerStatus(std::string(R"({"ordinal":1,"role":"replica","ready":true,"decision":")") +
                        decision + R"("})");
    ASSERT_TRUE(waiting.ok());
    EXPECT_FALSE(waiting->ready) << decision;
  }
  auto following =
      ParsePeerStatus(R"({"ordinal":1,"role":"replica","ready":true,"decision":"follow"})");
  ASSERT_TRUE(following.ok());
  EXPECT_TRUE(following->ready);
}

TEST(ReadBackupGtidTest, ReadsTheThirdField) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.MakeDirs("/d", 0755).ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/d/mariadb_backup_binlog_info",
                                 "mysql-bin.000002\t1234\t0-100-42\n", 0644)
                  .ok());
  auto g = ReadBackupGtid(fs, "/d");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(*g, "0-100-42");
}

TEST(ReadBackupGtidTest, FallsBackToXtrabackupNameAndAcceptsEmptyGtid) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.MakeDirs("/d", 0755).ok());
  ASSERT_TRUE(
      fs.WriteFileAtomic("/d/xtrabackup_binlog_info", "mysql-bin.000001\t330\t\n", 0644).ok());
  auto g = ReadBackupGtid(fs, "/d");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, "");
}

TEST(ReadBackupGtidTest, MissingOrMalformed) {
  MemFileSystem fs;
  ASSERT_TRUE(fs.MakeDirs("/d", 0755).ok());
  EXPECT_EQ(ReadBackupGtid(fs, "/d").status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fs.WriteFileAtomic("/d/mariadb_backup_binlog_info", "junk", 0644).ok());
  EXPECT_FALSE(ReadBackupGtid(fs, "/d").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/d/mariadb_backup_binlog_info", "f\t1\t0-1-x\n", 0644).ok());
  EXPECT_FALSE(ReadBackupGtid(fs, "/d").ok());
}

}  // namespace
}  // namespace mysqlset
