#include "agent/failover_step.h"

#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace mysqlset {

Result<bool> FenceForFailover(FailoverFenceContext& ctx) {
  ctx.progress.clear();
  RETURN_IF_ERROR(ctx.self_db.StopReplicationIo());
  std::string stopped = ctx.self;
  std::string unreachable;
  const std::string lost = ctx.view.last_leader ? ctx.view.last_leader->name : "";
  for (const MemberView& m : ctx.view.members) {
    // The lost leader is skipped: its server does not answer, or its agent is gone and a
    // frozen server would hold this tick for the whole connect timeout.
    if (m.name == ctx.self || m.name == lost || !m.mysql_reachable) continue;
    auto peer = ctx.peer_db(m.name);
    Status st = peer.ok() ? (*peer)->StopReplicationIo() : peer.status();
    if (st.ok()) {
      stopped += ", " + m.name;
    } else {
      // Not fatal: a replica this member cannot reach is cut off from it, and its own agent
      // follows the new leader (or fences) once it sees the key.
      unreachable +=
          fmt::format("{}{} ({})", unreachable.empty() ? "" : ", ", m.name, st.message());
    }
  }
  ctx.progress = "IO threads stopped on " + stopped;
  if (!unreachable.empty()) ctx.progress += "; could not reach " + unreachable;

  ServerState state;
  RETURN_IF_ERROR(ctx.self_db.ReadState(state));
  if (state.replica && !state.replica->gtid_io_pos.empty()) {
    const std::string& received = state.replica->gtid_io_pos;
    const double seconds = std::chrono::duration<double>(ctx.gtid_wait).count();
    ASSIGN_OR_RETURN(bool applied, ctx.self_db.MasterGtidWait(received, seconds));
    if (!applied) {
      ctx.progress += fmt::format("; applying what it received, up to {}", received);
      return false;
    }
    RETURN_IF_ERROR(ctx.self_db.ReadState(state));
    ctx.progress += fmt::format("; applied everything received ({})", received);
  }
  ctx.gtid = state.gtid_binlog;
  return true;
}

}  // namespace mysqlset
