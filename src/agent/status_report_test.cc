#include "agent/status_report.h"

#include "fmt/format.h"
#include "gtest/gtest.h"

namespace mysqlset {
namespace {

AgentConfig Config() {
  AgentConfig c;
  c.id = *ParseIdentity("mysql-1");
  return c;
}

// Issue 13's fields reach /v1/status and /metrics from the snapshot the other parts fill.
TEST(StatusReport, StatusCarriesSyncErrantStaleReadsAndTheLastEpoch) {
  AgentSnapshot snap;
  snap.sync = "mysql-1";
  snap.errant_gtids = *GtidList::Parse("0-101-3,7-101-1");
  snap.readiness.stale_reads =
      "serving possibly stale reads: primary unreachable for 4 s (limit 30 s)";
  snap.last_epoch = EpochView{5, "mysql-1", "mysql-0", "failover", 1234};
  const formats::AgentStatus st = StatusOf(Config(), snap, {}, 0);
  EXPECT_EQ(st.sync, "mysql-1");
  EXPECT_EQ(st.errant_gtids, "0-101-3,7-101-1");
  EXPECT_EQ(st.stale_reads, snap.readiness.stale_reads);
  ASSERT_TRUE(st.last_epoch);
  EXPECT_EQ(st.last_epoch->epoch, 5u);
  EXPECT_EQ(st.last_epoch->from, "mysql-0");
  EXPECT_EQ(st.last_epoch->reason, "failover");
  EXPECT_FALSE(StatusOf(Config(), AgentSnapshot{}, {}, 0).last_epoch);
}

// Every sample of issue 13's metrics for mysql-1 of cluster mysql, each with its value.
void ExpectSamples(const std::string& text, uint64_t failovers, uint64_t switchovers,
                   uint64_t errant, uint64_t detections, int stale, int sync) {
  const std::string samples[] = {
      fmt::format("mysqlset_failovers_total{{cluster=\"mysql\"}} {}", failovers),
      fmt::format("mysqlset_switchovers_total{{cluster=\"mysql\"}} {}", switchovers),
      fmt::format("mysqlset_errant_gtids{{cluster=\"mysql\"}} {}", errant),
      fmt::format("mysqlset_errant_detections_total{{cluster=\"mysql\"}} {}", detections),
      fmt::format("mysqlset_stale_reads{{cluster=\"mysql\"}} {}", stale),
      fmt::format("mysqlset_sync_replica{{cluster=\"mysql\"}} {}", sync),
  };
  for (const std::string& s : samples) EXPECT_NE(text.find(s + "\n"), std::string::npos) << s;
}

TEST(StatusReport, MetricsCountFailoversSwitchoversErrantGtidsAndStaleReads) {
  AgentMetrics metrics(Config());
  AgentSnapshot snap;
  ExpectSamples(metrics.Render(snap, {}, {}), 0, 0, 0, 0, 0, 0);
  snap.failovers = 2;
  snap.switchovers = 3;
  snap.errant_checks_failed = 1;
  snap.errant_gtids = *GtidList::Parse("0-101-3,7-101-1");
  snap.readiness.stale_reads = "serving possibly stale reads";
  snap.sync = "mysql-1";
  ExpectSamples(metrics.Render(snap, {}, {}), 2, 3, 2, 1, 1, 1);
}

// Issue 16: no self-set `pod` label (Prometheus adds its own), a `cluster` label (the
// --cluster name, else the set's), mysqlset_build_info, and a lag that is absent, not NaN,
// while unknown.
TEST(StatusReport, MetricsCarryTheClusterAndBuildInfoAndOmitAnUnknownLag) {
  AgentConfig config = Config();
  config.cluster = "orders-mysql";
  AgentMetrics metrics(config);
  AgentSnapshot snap;
  snap.role = Role::kReplica;
  snap.state.reachable = true;
  snap.state.replica = ReplicaStatus{};
  std::string text = metrics.Render(snap, {}, {});
  EXPECT_EQ(text.find("pod="), std::string::npos) << text;
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
  EXPECT_EQ(text.find("mysqlset_replication_lag_seconds{"), std::string::npos) << text;
  EXPECT_EQ(text.find("mysqlset_mysql_uptime_seconds{"), std::string::npos) << text;
  EXPECT_NE(text.find("mysqlset_ready{cluster=\"orders-mysql\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("mysqlset_build_info{cluster=\"orders-mysql\",version=\""), std::string::npos)
      << text;

  snap.state.replica->seconds_behind = 7;
  snap.state.replica->last_sql_errno = 1062;
  snap.state.uptime_seconds = 42;
  text = metrics.Render(snap, {}, {});
  EXPECT_NE(text.find("mysqlset_replication_lag_seconds{cluster=\"orders-mysql\"} 7\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mysqlset_replication_last_sql_errno{cluster=\"orders-mysql\"} 1062\n"),
            std::string::npos);
  EXPECT_NE(text.find("mysqlset_mysql_uptime_seconds{cluster=\"orders-mysql\"} 42\n"),
            std::string::npos);

  // Replication stopped: the lag is unknown again, and its sample goes away.
  snap.state.replica->seconds_behind.reset();
  text = metrics.Render(snap, {}, {});
  EXPECT_EQ(text.find("mysqlset_replication_lag_seconds{"), std::string::npos) << text;

  // The primary's lag is 0.
  snap.role = Role::kPrimary;
  snap.state.replica.reset();
  text = metrics.Render(snap, {}, {});
  EXPECT_NE(text.find("mysqlset_replication_lag_seconds{cluster=\"orders-mysql\"} 0\n"),
            std::string::npos);
}

}  // namespace
}  // namespace mysqlset
