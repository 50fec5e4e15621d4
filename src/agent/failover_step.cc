#include "agent/failover_step.h"

#include <future>
#include <system_error>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace mysqlset {

Result<bool> FenceForFailover(FailoverFenceContext& ctx) {
  ctx.progress.clear();
  std::string stopped = ctx.self;
  std::string unreachable;
  auto note_unreachable = [&unreachable](const std::string& name, const Status& st) {
    // Not fatal: a replica this member cannot reach is cut off from it, and its own agent
    // follows the new leader (or fences) once it sees the key.
    unreachable += fmt::format("{}{} ({})", unreachable.empty() ? "" : ", ", name, st.message());
  };
  const std::string lost = ctx.view.last_leader ? ctx.view.last_leader->name : "";
  std::vector<std::pair<std::string, std::unique_ptr<Db>>> peers;
  for (const MemberView& m : ctx.view.members) {
    // The lost leader is skipped: its server does not answer, or its agent is gone and a
    // frozen server would hold this tick for the whole connect timeout.
    if (m.name == ctx.self || m.name == lost || !m.mysql_reachable) continue;
    auto peer = ctx.peer_db(m.name);  // here, one at a time: the factory is the caller's
    if (peer.ok()) {
      peers.emplace_back(m.name, std::move(*peer));
    } else {
      note_unreachable(m.name, peer.status());
    }
  }
  // All at once: with the lost primary frozen rather than dead, STOP SLAVE IO_THREAD waits
  // about 2 s for an IO thread blocked reading from it (measured on 10.11), and one replica
  // after another those waits added up before the failover could go on.
  std::vector<std::future<Status>> stops;
  for (auto& [name, db] : peers) {
    auto stop = [&db = db] { return db->StopReplicationIo(); };
    try {
      stops.push_back(std::async(std::launch::async, stop));
    } catch (const std::system_error&) {  // no thread to be had: one after another, then
      std::promise<Status> done;
      done.set_value(stop());
      stops.push_back(done.get_future());
    }
  }
  const Status self_stopped = ctx.self_db.StopReplicationIo();
  for (size_t i = 0; i < stops.size(); ++i) {
    const Status st = stops[i].get();
    if (st.ok()) {
      stopped += ", " + peers[i].first;
    } else {
      note_unreachable(peers[i].first, st);
    }
  }
  RETURN_IF_ERROR(self_stopped);
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
