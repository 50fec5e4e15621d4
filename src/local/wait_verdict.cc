#include "local/wait_verdict.h"

#include <cstdlib>

#include "fmt/format.h"

namespace mysqlset::local {

Liveness JudgeHeartbeat(int64_t heartbeat_ms, int64_t now_ms) {
  if (heartbeat_ms <= 0) return Liveness{false, std::nullopt};
  const int64_t age_ms = now_ms - heartbeat_ms;
  return Liveness{std::llabs(age_ms) <= kHeartbeatStaleAfter.count(), age_ms / 1000};
}

std::string NotRespondingMessage(pid_t pid, const Liveness& l) {
  if (!l.age_s) return fmt::format("supervisor pid {} is not responding (no heartbeat)", pid);
  if (*l.age_s < 0) {
    return fmt::format(
        "supervisor pid {} is not responding (last heartbeat {} s in the future: "
        "the clock was set back and none came since)",
        pid, -*l.age_s);
  }
  return fmt::format("supervisor pid {} is not responding (last heartbeat {} s ago)", pid,
                     *l.age_s);
}

std::string NotRespondingAdvice(pid_t pid, const std::string& supervisor_log) {
  return fmt::format("is it stopped (`kill -CONT {}`) or hung? see {}", pid, supervisor_log);
}

WaitVerdict DecideWait(const WaitInput& in) {
  if (in.requested > 0 && in.requested != in.replicas) {
    return {WaitOutcome::kSuperseded, fmt::format("superseded by scale to {}", in.requested)};
  }
  const bool ours = in.state && in.state->pid == in.supervisor;
  if (!ours) {
    // It has written nothing yet: give it the same grace from when we started waiting.
    const Liveness l = JudgeHeartbeat(in.since_ms, in.now_ms);
    if (!l.responding) {
      return {WaitOutcome::kNotResponding,
              fmt::format("supervisor pid {} is not responding (no heartbeat in {} s)",
                          in.supervisor, l.age_s.value_or(0))};
    }
    return {};
  }
  const Liveness l = JudgeHeartbeat(in.state->heartbeat_ms, in.now_ms);
  if (!l.responding) return {WaitOutcome::kNotResponding, NotRespondingMessage(in.supervisor, l)};
  if (in.state->spec.replicas != in.replicas) return {};  // SIGHUP not applied yet
  for (const auto& m : in.state->members) {
    if (static_cast<int>(m.ordinal) < in.replicas && !m.ready && !m.error.empty()) {
      return {WaitOutcome::kMemberFailed, m.error};
    }
  }
  if (in.state->converged && in.state->observed_ms >= in.since_ms) {
    return {WaitOutcome::kConverged, ""};
  }
  return {};
}

}  // namespace mysqlset::local
