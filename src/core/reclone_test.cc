#include "core/reclone.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

RecloneInput Errant() {
  RecloneInput in;
  in.self = "mysql-0";
  in.errant = true;
  in.failed_checks_in_a_row = 3;
  in.errant_for_seconds = 30;
  in.leader = "mysql-1";
  in.sync = "mysql-2";
  in.errant_gtids = "0-100-7";
  return in;
}

struct Case {
  const char* name;
  RecloneInput in;
  bool reclone;
  const char* reason_has;
};

TEST(DecideRecloneTest, Table) {
  auto with = [](auto edit) {
    RecloneInput in = Errant();
    edit(in);
    return in;
  };
  const Case cases[] = {
      {"errant, confirmed, another leader: re-clone", Errant(), true,
       "errant GTIDs 0-100-7 (transactions the primary mysql-1 never had)"},
      {"diverged (1236) alone: re-clone", with([](RecloneInput& in) {
         in.errant = false;
         in.diverged = true;
       }),
       true, "diverged from the primary mysql-1's (IO error 1236)"},
      {"healthy: nothing", with([](RecloneInput& in) { in.errant = false; }), false, ""},
      {"not yet confirmed", with([](RecloneInput& in) { in.failed_checks_in_a_row = 2; }), false,
       "confirming (2 of 3 checks, 30 of 30 s)"},
      {"not errant long enough", with([](RecloneInput& in) { in.errant_for_seconds = 29.5; }),
       false, "confirming (3 of 3 checks, 30 of 30 s)"},
      {"no leader: keeps its data", with([](RecloneInput& in) { in.leader = ""; }), false,
       "no other member leads"},
      {"it leads itself", with([](RecloneInput& in) { in.leader = "mysql-0"; }), false,
       "no other member leads"},
      {"still the sync replica", with([](RecloneInput& in) { in.sync = "mysql-0"; }), false,
       "designated sync replica"},
      {"forced failover pending", with([](RecloneInput& in) { in.forced_failover = true; }), false,
       "forced failover"},
  };
  for (const Case& c : cases) {
    const RecloneVerdict v = DecideReclone(c.in, ReclonePolicy{});
    EXPECT_EQ(v.reclone, c.reclone) << c.name;
    EXPECT_NE(v.reason.find(c.reason_has), std::string::npos) << c.name << ": " << v.reason;
  }
}

}  // namespace
}  // namespace mysqlset
