#include "core/errant.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

GtidList G(const char* text) {
  auto g = GtidList::Parse(text);
  EXPECT_TRUE(g.ok()) << text;
  return g.ok() ? *g : GtidList();
}

TEST(ErrantGtidsTest, Table) {
  using O = GtidReadOrder;
  struct Case {
    const char* name;
    const char* replica;
    const char* primary;
    O order;
    const char* errant;
  } cases[] = {
      {"caught up", "0-100-10", "0-100-10", O::kPrimaryAfterReplica, ""},
      {"behind", "0-100-8", "0-100-10", O::kPrimaryAfterReplica, ""},
      {"empty replica", "", "0-100-10", O::kPrimaryAfterReplica, ""},
      // Issue 13: SET SESSION gtid_domain_id=7; INSERT on a replica went unnoticed.
      {"another domain the primary lacks", "0-100-14134,7-101-1", "0-100-14134",
       O::kPrimaryAfterReplica, "7-101-1"},
      {"another domain, records too", "0-100-14134,7-101-1", "0-100-14134", O::kUnordered,
       "7-101-1"},
      {"a write of its own in the primary's domain", "0-101-11", "0-100-10",
       O::kPrimaryAfterReplica, "0-101-11"},
      {"same in records: another server wrote it", "0-101-11", "0-100-10", O::kUnordered,
       "0-101-11"},
      // Read after the replica, the primary has everything the replica got from it.
      {"beyond the primary read after it, same writer", "0-100-11", "0-100-10",
       O::kPrimaryAfterReplica, "0-100-11"},
      // Records a moment apart: the replica's may simply be fresher (moco#419).
      {"beyond the primary's record, same writer: fresher, not errant", "0-100-11", "0-100-10",
       O::kUnordered, ""},
      {"one sequence number, two writers: diverged", "0-101-10", "0-100-10",
       O::kPrimaryAfterReplica, "0-101-10"},
      {"diverged in records too", "0-101-10", "0-100-10", O::kUnordered, "0-101-10"},
      {"behind in a domain an earlier primary wrote", "0-101-5", "0-100-10",
       O::kPrimaryAfterReplica, ""},
      {"every domain counts", "0-100-10,1-100-3,7-101-1,9-101-2", "0-100-10,1-100-3",
       O::kPrimaryAfterReplica, "7-101-1,9-101-2"},
      {"primary's domains it does not hold", "0-100-10", "0-100-10,7-100-4",
       O::kPrimaryAfterReplica, ""},
      {"a primary with no GTID read after it: everything is errant", "0-101-1", "",
       O::kPrimaryAfterReplica, "0-101-1"},
      {"a primary's record before its first write: nothing to compare", "0-101-1", "",
       O::kUnordered, ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrantGtids(G(c.replica), G(c.primary), c.order).ToString(), c.errant) << c.name;
  }
}

TEST(ErrantGtidsOfReplicaTest, Table) {
  struct Case {
    const char* name;
    const char* slave;   // the replica's gtid_slave_pos
    const char* binlog;  // ... and gtid_binlog_pos; the replica is server 101
    bool io_running;
    const char* primary_binlog;
    const char* primary_state;  // gtid_binlog_state; nullptr: not read
    const char* errant;
  } cases[] = {
      {"caught up", "0-100-10", "0-100-10", true, "0-100-10", "0-100-10", ""},
      {"its own write, before the primary writes again", "0-100-10", "0-101-11", true, "0-100-10",
       "0-100-10", "0-101-11"},
      // Its SQL thread stopped on the primary's next write (error 1950); the primary went on.
      {"its own write, the primary wrote past it", "0-100-10", "0-101-11", true, "0-100-15",
       "0-100-15", "0-101-11"},
      {"same without the primary's binlog state", "0-100-10", "0-101-11", true, "0-100-15", nullptr,
       "0-101-11"},
      {"another domain", "0-100-10", "0-100-10,7-101-1", true, "0-100-15", "0-100-15", "7-101-1"},
      // MASTER_DEMOTE_TO_SLAVE put its own writes into gtid_slave_pos: an old primary.
      {"an old primary demoted", "0-101-11", "0-101-11", true, "0-100-15", "0-101-11,0-100-15", ""},
      {"its writes as primary, which the primary has (gtid_slave_pos not merged)", "0-100-3",
       "0-101-11", true, "0-100-15", "0-101-11,0-100-15", ""},
      {"the same, known from the primary's position", "0-100-3", "0-101-11", true, "0-101-11",
       nullptr, ""},
      // A replicated DDL whose gtid_slave_pos update lags carries the primary's server_id.
      {"binlog ahead of gtid_slave_pos with the primary's server_id", "0-100-9", "0-100-10", true,
       "0-100-12", "0-100-12", ""},
      // Not connected to a source: an old primary about to be configured, say.
      {"not replicating", "0-100-3", "0-101-11", false, "0-100-15", "0-100-15", ""},
  };
  for (const Case& c : cases) {
    ServerState self;
    self.gtid_slave = G(c.slave);
    self.gtid_binlog = G(c.binlog);
    self.replica = ReplicaStatus{};
    self.replica->io = c.io_running ? ThreadState::kYes : ThreadState::kConnecting;
    ServerState primary;
    primary.gtid_binlog = G(c.primary_binlog);
    if (c.primary_state) primary.gtid_binlog_state = *ParseGtidItems(c.primary_state);
    EXPECT_EQ(ErrantGtidsOfReplica(self, 101, primary).ToString(), c.errant) << c.name;
  }
}

TEST(DivergedBinlogTest, OnlyIoError1236) {
  ServerState s;
  EXPECT_FALSE(DivergedBinlog(s)) << "no replication";
  s.replica = ReplicaStatus{};
  EXPECT_FALSE(DivergedBinlog(s));
  s.replica->last_io_errno = 2003;  // cannot connect: not a divergence
  EXPECT_FALSE(DivergedBinlog(s));
  s.replica->last_io_errno = 1236;
  EXPECT_TRUE(DivergedBinlog(s));
}

TEST(ErrantReasonTest, NamesTheGtidsAndThePrimary) {
  EXPECT_EQ(ErrantReason(G("0-101-5,7-101-1"), "mysql-0"),
            "errant GTIDs 0-101-5,7-101-1 (transactions the primary mysql-0 never had): "
            "re-clone this member");
}

}  // namespace
}  // namespace mysqlset
