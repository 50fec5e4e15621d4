#pragma once
// The candidate's side of a failover (docs/roles.md "Failover"), before it campaigns:
// MOCO's fence, then everything it received applied. core/failover.h decides who; this runs
// it against the servers. The agent's tick calls it when DecideRole says kCampaign with
// epoch reason "failover" or "forced".
//
// 1. STOP SLAVE IO_THREAD on itself and on every other registered member whose server
//    answers (the lost leader excepted): a replica that no longer receives from the old
//    primary cannot acknowledge its commits, so an old primary that wakes up (SIGSTOP, a
//    partition healed) cannot complete another write.
// 2. MASTER_GTID_WAIT(its Gtid_IO_Pos), at most `gtid_wait` per call: nothing received is
//    ever skipped (HA.md pitfall 10). Not caught up yet: the next tick calls again, with the
//    IO thread still stopped, so the target does not move.

#include <chrono>
#include <string>

#include "agent/switchover_step.h"
#include "common/status.h"
#include "core/leadership.h"
#include "env/db.h"

namespace mysqlset {

struct FailoverFenceContext {
  std::string self;
  const ClusterView& view;
  Db& self_db;
  const PeerDbFactory& peer_db;
  std::chrono::milliseconds gtid_wait{1000};
  // Out: the peers whose IO thread was stopped, and those that could not be reached, in words.
  std::string progress;
  GtidList gtid;  // out: this server's gtid_binlog_pos once caught up
};

// True once the fence is up and this server applied everything it received: it may take the
// leader key. False: not caught up yet (try again next tick). An error: its own server
// could not be fenced or read; nothing is campaigned for.
Result<bool> FenceForFailover(FailoverFenceContext& ctx);

}  // namespace mysqlset
