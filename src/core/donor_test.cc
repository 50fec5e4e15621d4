#include "core/donor.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

std::optional<PeerStatus> Primary(bool ready) { return PeerStatus{0, true, ready, 0.0}; }
std::optional<PeerStatus> Replica(uint32_t ord, bool ready, std::optional<double> lag) {
  return PeerStatus{ord, false, ready, lag};
}
constexpr std::nullopt_t kDown = std::nullopt;

struct Case {
  const char* name;
  uint32_t self;
  std::vector<std::optional<PeerStatus>> statuses;
  std::vector<uint32_t> want;
};

TEST(RankDonorsTest, Table) {
  const std::vector<Case> cases = {
      {"only the primary, ready", 1, {Primary(true)}, {0}},
      {"only the primary, not ready: wait", 1, {Primary(false)}, {}},
      {"nothing reachable: fall back to N-1 (seed rule)", 3, {kDown, kDown, kDown}, {2}},
      {"nothing reachable, ordinal 1", 1, {kDown}, {0}},
      {"ready replica preferred over primary", 2, {Primary(true), Replica(1, true, 0)}, {1, 0}},
      {"not-ready replica is never a donor", 2, {Primary(true), Replica(1, false, 0)}, {0}},
      {"least lag first",
       4,
       {Primary(true), Replica(1, true, 5), Replica(2, true, 1), Replica(3, true, 3)},
       {2, 3, 1, 0}},
      {"equal lag: higher ordinal first",
       4,
       {Primary(true), Replica(1, true, 0), Replica(2, true, 0), Replica(3, true, 0)},
       {3, 2, 1, 0}},
      {"unknown lag after known lag",
       3,
       {Primary(true), Replica(1, true, std::nullopt), Replica(2, true, 9)},
       {2, 1, 0}},
      {"unreachable peers are skipped, reachable ones decide",
       3,
       {kDown, Replica(1, true, 0), kDown},
       {1}},
      {"some answered, none ready: wait", 3, {Primary(false), kDown, Replica(2, false, 0)}, {}},
      {"statuses beyond self are ignored", 1, {Primary(true), Replica(1, true, 0)}, {0}},
      // Ordinal 0 clones once the cluster was initialized (its volume was lost): it asks
      // the higher ordinals, never itself.
      {"ordinal 0: a ready replica above",
       0,
       {kDown, Replica(1, false, 0), Replica(2, true, 1)},
       {2}},
      {"ordinal 0: its own slot is ignored", 0, {Primary(true), Primary(true)}, {1}},
      {"ordinal 0: nothing reachable: wait", 0, {kDown, kDown, kDown}, {}},
      {"ordinal in payload is not trusted",
       2,
       {Primary(true), PeerStatus{7, false, true, 0.0}},
       {1, 0}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RankDonors(c.self, c.statuses), c.want) << c.name;
  }
}

// podsim: mysql-0's volume lost with its node; it cloned from a replica that still said it
// was ready, following mysql-0, a second after the loss.
TEST(RankDonorsTest, APeerFollowingTheMemberThatClonesIsNoDonor) {
  auto following = [](std::optional<PeerStatus> s, const char* leader) {
    s->leader = leader;
    return s;
  };
  const std::vector<std::optional<PeerStatus>> lost_leader = {
      kDown, following(Replica(1, true, 0), "mysql-0"), following(Replica(2, true, 0), "mysql-0")};
  EXPECT_EQ(RankDonors(0, lost_leader, "mysql-0"), std::vector<uint32_t>{});
  const std::vector<std::optional<PeerStatus>> after_failover = {
      kDown, following(Primary(true), "mysql-1"), following(Replica(2, true, 0), "mysql-1")};
  EXPECT_EQ(RankDonors(0, after_failover, "mysql-0"), (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(RankDonors(
                2, {following(Primary(true), "mysql-0"), following(Replica(1, true, 0), "mysql-0")},
                "mysql-2"),
            (std::vector<uint32_t>{1, 0}))
      << "another member's clone is unaffected";
}

std::optional<PeerStatus> Holding(const char* gtid) {
  PeerStatus s{1, false, false, std::nullopt};
  s.gtid = gtid;
  return s;
}

TEST(PeerHoldingDataTest, Table) {
  struct HoldingCase {
    const char* name;
    std::vector<std::optional<PeerStatus>> statuses;
    std::optional<uint32_t> want;
  };
  const std::vector<HoldingCase> cases = {
      {"no peers: a new cluster, bootstrap", {kDown}, std::nullopt},
      {"peers unreachable: no evidence", {kDown, kDown, kDown}, std::nullopt},
      {"peers empty (never replicated)", {kDown, Holding(""), Holding("")}, std::nullopt},
      {"a replica with data: refuse", {kDown, Holding("0-100-42")}, 1u},
      {"even a replica that is not ready counts", {kDown, kDown, Holding("0-100-1")}, 2u},
      {"the most advanced peer is named", {kDown, Holding("0-100-40"), Holding("0-100-42")}, 2u},
      {"several domains add up", {kDown, Holding("0-100-40"), Holding("0-100-30,1-100-20")}, 2u},
      {"ties: lower ordinal", {kDown, Holding("0-100-7"), Holding("0-100-7")}, 1u},
      {"ordinal 0's own slot is ignored", {Holding("0-100-9"), kDown}, std::nullopt},
      {"a garbled GTID is no evidence", {kDown, Holding("garbage")}, std::nullopt},
      {"sequence 0 everywhere is no data", {kDown, Holding("0-100-0")}, std::nullopt},
  };
  for (const HoldingCase& c : cases) {
    EXPECT_EQ(PeerHoldingData(c.statuses), c.want) << c.name;
  }
}

}  // namespace
}  // namespace mysqlset
