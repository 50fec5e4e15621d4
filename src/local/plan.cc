#include "local/plan.h"

#include <algorithm>
#include <functional>
#include <map>

namespace mysqlset::local {

std::vector<PlannedAction> PlanStep(int desired_replicas, std::vector<MemberView> members) {
  std::sort(members.begin(), members.end(),
            [](const MemberView& a, const MemberView& b) { return a.ordinal < b.ordinal; });
  std::map<uint32_t, const MemberView*> by_ordinal;
  for (const auto& m : members) by_ordinal[m.ordinal] = &m;
  const uint32_t desired = static_cast<uint32_t>(std::max(desired_replicas, 0));

  std::vector<PlannedAction> out;
  // Scale-down first, highest ordinal first, so the set shrinks the way it grew.
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->ordinal >= desired && it->phase != MemberPhase::kStopped) {
      out.push_back({SupervisorAction::kStopMember, it->ordinal});
    }
  }
  // Ordinal 0 first; the others once it is ready (see plan.h).
  bool may_start = true;
  for (uint32_t ord = 0; ord < desired; ++ord) {
    const auto found = by_ordinal.find(ord);
    const MemberView stopped{.ordinal = ord};
    const MemberView& m = found == by_ordinal.end() ? stopped : *found->second;
    switch (m.phase) {
      case MemberPhase::kServing:
        // Restarts never wait for other members: a crashed container restarts in place.
        if (!m.mariadbd_running && m.mariadbd_restart_due) {
          out.push_back({SupervisorAction::kRestartMariadbd, ord});
        }
        if (!m.agent_running && m.agent_restart_due) {
          out.push_back({SupervisorAction::kRestartAgent, ord});
        }
        break;
      case MemberPhase::kStopped:
        if (may_start || m.has_data) out.push_back({SupervisorAction::kStartMember, ord});
        break;
      case MemberPhase::kFailed:
        if ((may_start || m.has_data) && m.retry_due) {
          out.push_back({SupervisorAction::kStartMember, ord});
        }
        break;
      case MemberPhase::kInit:
      case MemberPhase::kClone:
        break;
    }
    if (ord == 0) may_start = m.phase == MemberPhase::kServing && m.ready;
  }
  return out;
}

std::vector<uint32_t> StopOrder(std::vector<uint32_t> running, std::optional<uint32_t> primary) {
  std::sort(running.begin(), running.end(), std::greater<>());
  if (primary) {
    std::stable_partition(running.begin(), running.end(),
                          [&](uint32_t ord) { return ord != *primary; });
  }
  return running;
}

bool Converged(int desired_replicas, const std::vector<MemberView>& members) {
  const uint32_t desired = static_cast<uint32_t>(std::max(desired_replicas, 0));
  uint32_t ready = 0;
  for (const auto& m : members) {
    if (m.ordinal >= desired) {
      if (m.phase != MemberPhase::kStopped) return false;
    } else if (m.phase == MemberPhase::kServing && m.ready) {
      ++ready;
    }
  }
  return ready == desired;
}

}  // namespace mysqlset::local
