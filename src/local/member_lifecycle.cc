#include "local/member_lifecycle.h"

#include <fmt/format.h>

#include "local/cluster_report.h"

namespace mysqlset::local {
namespace {

using Effect = MemberEffect;
using Level = MemberEffect::Level;

Effect Spawn(MemberProcess p) { return {.kind = Effect::Kind::kSpawn, .process = p}; }
Effect Log(Level level, std::string message) {
  return {.kind = Effect::Kind::kLog, .level = level, .message = std::move(message)};
}

ChildRecord& ChildOf(MemberRecord& m, MemberProcess p) {
  switch (p) {
    case MemberProcess::kInit:
    case MemberProcess::kClone:
      return m.prep;
    case MemberProcess::kMariadbd:
      return m.mariadbd;
    case MemberProcess::kAgent:
      return m.agent;
  }
  return m.prep;
}

bool IsPrep(MemberProcess p) { return p == MemberProcess::kInit || p == MemberProcess::kClone; }

void FailPrep(MemberRecord& m, SteadyTime now, const LifecyclePolicy& policy) {
  m.phase = MemberPhase::kFailed;
  m.retry_at = now + policy.restart_backoff.DelayFor(m.prep_failures++);
}

// Every event handler edits `m` (a copy of the record) and appends to `out`.
struct Handler {
  MemberRecord& m;
  std::vector<Effect>& out;
  SteadyTime now;
  const LifecyclePolicy& policy;

  void operator()(const event::Start&) {
    m.phase = MemberPhase::kInit;
    m.ready = false;
    out.push_back(Spawn(MemberProcess::kInit));
  }

  void operator()(const event::StartFailed& e) {
    FailPrep(m, now, policy);
    m.error = fmt::format("{}: {}", m.pod, e.error);
    out.push_back(Log(Level::kError, m.error));
  }

  void operator()(const event::Restart& e) { out.push_back(Spawn(e.process)); }

  void operator()(const event::Spawned& e) {
    ChildRecord& child = ChildOf(m, e.process);
    child.pid = e.pid;
    child.started = now;
    if (e.pid != 0) return;
    // Could not even fork: init and clone wait for their retry like a failure; mariadbd and
    // the agent for a fixed delay (their crash backoff is for exits).
    if (IsPrep(e.process)) {
      FailPrep(m, now, policy);
    } else {
      child.restart_at = now + policy.spawn_retry;
    }
  }

  void operator()(const event::Exited& e) {
    ChildRecord& child = ChildOf(m, e.process);
    child.pid = 0;
    child.last_exit = e.how;
    if (IsPrep(e.process)) {
      OnPrepExit(e);
    } else {
      OnServerExit(child, e);
    }
  }

  void OnPrepExit(const event::Exited& e) {
    if (!e.success) {
      FailPrep(m, now, policy);
      m.error = fmt::format("{}: {} failed ({}){}{}; see {}", m.pod, ProcessName(e.process), e.how,
                            e.reason.empty() ? "" : ": ", e.reason, e.log);
      out.push_back(Log(Level::kError, m.error));
    } else if (e.process == MemberProcess::kInit) {
      m.phase = MemberPhase::kClone;
      out.push_back(Spawn(MemberProcess::kClone));
    } else {
      m.phase = MemberPhase::kServing;
      m.prep_failures = 0;
      m.mariadbd.restarts = m.agent.restarts = 0;
      m.mariadbd.exits_since_ready = m.agent.exits_since_ready = 0;
      out.push_back(Log(Level::kInfo, m.pod + ": data ready; starting mariadbd and agent"));
      out.push_back(Spawn(MemberProcess::kMariadbd));
      out.push_back(Spawn(MemberProcess::kAgent));
    }
  }

  void OnServerExit(ChildRecord& child, const event::Exited& e) {
    m.ready = false;
    if (e.reclone_requested) return StartOverToReclone();
    if (now - child.started >= policy.backoff_reset) child.restarts = 0;
    const auto delay = policy.restart_backoff.DelayFor(child.restarts);
    child.restart_at = now + delay;
    ++child.restarts;
    out.push_back(Log(Level::kWarn,
                      fmt::format("{}: {} exited ({}); restart #{} in {} ms", m.pod,
                                  ProcessName(e.process), e.how, child.restarts, delay.count())));
    // Counted until the member is ready again, so a member that was ready and then keeps
    // crashing is reported like one that never got there; the reason is in its log.
    if (++child.exits_since_ready >= policy.crashloop_threshold) {
      m.error = CrashLoopMessage(m.pod, ProcessName(e.process), child.exits_since_ready, e.how,
                                 e.reason, e.log);
      out.push_back(Log(Level::kError, m.error));
    }
  }

  // The agent asked for a re-clone and exited: mariadbd stops (the clone step never works
  // under a running server), then init and clone run again; clone sets the datadir aside.
  void StartOverToReclone() {
    out.push_back(Log(Level::kWarn, m.pod + ": its agent asked for a re-clone (see its log); "
                                            "stopping mariadbd, then init and clone again"));
    if (m.mariadbd.pid != 0) {
      out.push_back(
          {.kind = Effect::Kind::kStop, .pids = {m.mariadbd.pid}, .what = m.pod + " mariadbd"});
    }
    m.mariadbd.pid = 0;
    m.mariadbd.restarts = m.agent.restarts = 0;
    m.mariadbd.exits_since_ready = m.agent.exits_since_ready = 0;
    m.phase = MemberPhase::kInit;
    out.push_back(Spawn(MemberProcess::kInit));
  }

  void operator()(const event::Probed& e) {
    if (e.ready && !m.ready) out.push_back(Log(Level::kInfo, m.pod + ": ready"));
    if (!e.ready && m.ready) out.push_back(Log(Level::kWarn, m.pod + ": no longer ready"));
    m.ready = e.ready;
    if (e.ready) {
      m.mariadbd.exits_since_ready = m.agent.exits_since_ready = 0;
      m.error.clear();
    }
  }

  // The record keeps showing the member as it was until event::Stopped, so state.json never
  // reports a member stopped (and a scale-down converged) while it is still stopping.
  void operator()(const event::Stop&) {
    out.push_back(Log(Level::kInfo, m.pod + ": stopping (data is kept)"));
    // The agent first, so it never acts on a mariadbd that is shutting down.
    if (m.agent.pid != 0) {
      out.push_back({.kind = Effect::Kind::kStop, .pids = {m.agent.pid}, .what = m.pod + " agent"});
    }
    std::vector<pid_t> rest;
    for (pid_t pid : {m.prep.pid, m.mariadbd.pid}) {
      if (pid != 0) rest.push_back(pid);
    }
    if (!rest.empty()) out.push_back({.kind = Effect::Kind::kStop, .pids = rest, .what = m.pod});
  }

  void operator()(const event::Stopped&) {
    // An init or clone stopped midway leaves a staging dir nobody can use.
    if (m.prep.pid != 0) out.push_back({.kind = Effect::Kind::kRemoveStaging});
    m.agent.pid = m.mariadbd.pid = m.prep.pid = 0;
    m.agent.restarts = m.mariadbd.restarts = 0;
    m.agent.exits_since_ready = m.mariadbd.exits_since_ready = 0;
    m.phase = MemberPhase::kStopped;
    m.ready = false;
    m.error.clear();
    m.prep_failures = 0;
    m.haproxy_read_state.clear();
    m.haproxy_write_state.clear();
  }
};

}  // namespace

const char* ProcessName(MemberProcess p) {
  switch (p) {
    case MemberProcess::kInit:
      return "init";
    case MemberProcess::kClone:
      return "clone";
    case MemberProcess::kMariadbd:
      return "mariadbd";
    case MemberProcess::kAgent:
      return "agent";
  }
  return "?";
}

Transition ApplyEvent(const MemberRecord& member, const MemberEvent& event, SteadyTime now,
                      const LifecyclePolicy& policy) {
  Transition t{member, {}};
  std::visit(Handler{t.record, t.effects, now, policy}, event);
  return t;
}

std::optional<MemberProcess> ProcessOf(const MemberRecord& member, pid_t pid) {
  if (pid <= 0) return std::nullopt;
  if (pid == member.prep.pid) {
    return member.phase == MemberPhase::kInit ? MemberProcess::kInit : MemberProcess::kClone;
  }
  if (pid == member.mariadbd.pid) return MemberProcess::kMariadbd;
  if (pid == member.agent.pid) return MemberProcess::kAgent;
  return std::nullopt;
}

bool ShouldProbe(const MemberRecord& member) {
  return member.phase == MemberPhase::kServing && member.agent.pid != 0 && member.mariadbd.pid != 0;
}

MemberView ViewOf(const MemberRecord& member, SteadyTime now) {
  MemberView v;
  v.ordinal = member.ordinal;
  v.phase = member.phase;
  v.ready = member.ready;
  v.mariadbd_running = member.mariadbd.pid > 0;
  v.agent_running = member.agent.pid > 0;
  v.mariadbd_restart_due = member.mariadbd.pid == 0 && now >= member.mariadbd.restart_at;
  v.agent_restart_due = member.agent.pid == 0 && now >= member.agent.restart_at;
  v.retry_due = now >= member.retry_at;
  return v;
}

bool MariadbdStartUnfinished(std::string_view log_tail, pid_t pid) {
  const std::string start = " as process " + std::to_string(pid);
  size_t at = log_tail.rfind(start);
  // The pid must end the line: "as process 12" is no start of process 1.
  while (at != std::string_view::npos) {
    const size_t end = at + start.size();
    if (end == log_tail.size() || log_tail[end] == '\n') break;
    at = at == 0 ? std::string_view::npos : log_tail.rfind(start, at - 1);
  }
  if (at == std::string_view::npos) return false;
  return log_tail.find("ready for connections", at) == std::string_view::npos;
}

}  // namespace mysqlset::local
