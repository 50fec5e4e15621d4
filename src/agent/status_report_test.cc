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

// Every sample of issue 13's metrics for pod mysql-1, each with its value.
void ExpectSamples(const std::string& text, uint64_t failovers, uint64_t switchovers,
                   uint64_t errant, uint64_t detections, int stale, int sync) {
  const std::string samples[] = {
      fmt::format("mysqlset_failovers_total{{pod=\"mysql-1\"}} {}", failovers),
      fmt::format("mysqlset_switchovers_total{{pod=\"mysql-1\"}} {}", switchovers),
      fmt::format("mysqlset_errant_gtids{{pod=\"mysql-1\"}} {}", errant),
      fmt::format("mysqlset_errant_detections_total{{pod=\"mysql-1\"}} {}", detections),
      fmt::format("mysqlset_stale_reads{{pod=\"mysql-1\"}} {}", stale),
      fmt::format("mysqlset_sync_replica{{pod=\"mysql-1\"}} {}", sync),
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

}  // namespace
}  // namespace mysqlset
