#include "local/display.h"

#include <signal.h>

#include <cerrno>
#include <map>
#include <optional>
#include <thread>

#include "local/cluster_dir.h"
#include "local/cluster_report.h"
#include "local/wait_verdict.h"
#include "posix/subprocess.h"

namespace mysqlset::local {
namespace {

using std::chrono::steady_clock;

class Renderer {
 public:
  Renderer(const WaitOptions& options) : o_(options) {}

  // Lines printed by someone else went below ours: draw afresh instead of over them.
  void Forget() { drawn_ = 0; }

  void Show(FileSystem& fs, const ClusterPaths& paths, const SupervisorState& s, int upto) {
    std::vector<std::string> lines;
    for (const auto& m : s.members) {
      if (static_cast<int>(m.ordinal) >= upto && m.step == MemberStep::kStopped) continue;
      std::optional<CloneProgress> progress;
      if (m.step == MemberStep::kClone) {
        if (auto text = fs.ReadFile(paths.clone_progress(m.name)); text.ok()) {
          if (auto p = formats::FromJson<CloneProgress>(*text); p.ok()) progress = *p;
        }
      }
      lines.push_back(RenderMemberLine(m, progress));
      if (!o_.tty) {
        const auto now = steady_clock::now();
        std::optional<MemberStep>& last = last_step_[m.name];
        const bool progress_due =
            progress && now - last_progress_[m.name] > std::chrono::seconds(5);
        if (last != m.step || progress_due) {
          std::fprintf(o_.out, "%s\n", lines.back().c_str());
          last = m.step;
          if (progress) last_progress_[m.name] = now;
        }
      }
    }
    if (o_.tty) {
      // Move back over what we drew last time and redraw every line.
      if (drawn_ > 0) std::fprintf(o_.out, "\x1b[%dA", drawn_);
      for (const auto& l : lines) std::fprintf(o_.out, "\x1b[2K%s\n", l.c_str());
      for (int i = static_cast<int>(lines.size()); i < drawn_; ++i)
        std::fprintf(o_.out, "\x1b[2K\n");
      drawn_ = std::max(drawn_, static_cast<int>(lines.size()));
    }
    std::fflush(o_.out);
  }

 private:
  const WaitOptions& o_;
  int drawn_ = 0;
  std::map<std::string, std::optional<MemberStep>> last_step_;
  std::map<std::string, steady_clock::time_point> last_progress_;
};

}  // namespace

Status WaitForConverged(FileSystem& fs, const ClusterPaths& paths, pid_t supervisor, int replicas,
                        const WaitOptions& options) {
  Renderer r(options);
  const auto deadline = steady_clock::now() + options.timeout;
  WaitInput in;
  in.supervisor = supervisor;
  in.replicas = replicas;
  in.since_ms = WallClockMillis();
  std::optional<SupervisorState> last;
  std::string unconfirmed;  // why `confirm` said no, last time
  while (true) {
    if (!ProcessAlive(supervisor)) {
      return FailedPrecondition("the supervisor (pid {}) exited; see {}:\n{}", supervisor,
                                paths.supervisor_log(), TailOfFile(paths.supervisor_log(), 5));
    }
    auto state = LoadState(fs, paths);
    in.state = state.ok() ? std::optional(*state) : std::nullopt;
    auto spec = LoadSpec(fs, paths);
    in.requested = spec.ok() ? spec->replicas : 0;
    in.now_ms = WallClockMillis();
    const WaitVerdict v = DecideWait(in);
    if (in.state && in.state->pid == supervisor && in.state->spec.replicas == replicas) {
      last = *in.state;
      r.Show(fs, paths, *in.state, replicas);
    }
    switch (v.outcome) {
      case WaitOutcome::kSuperseded:
        return Status(StatusCode::kCancelled, fmt::format("{} {}", options.what, v.message));
      case WaitOutcome::kNotResponding:
        return Unavailable("{}; the member lines above may be stale: {}", v.message,
                           NotRespondingAdvice(supervisor, paths.supervisor_log()));
      case WaitOutcome::kMemberFailed:
        return FailedPrecondition("{}", v.message);
      case WaitOutcome::kConverged: {
        Status st = options.confirm ? options.confirm() : Status::Ok();
        if (st.ok()) return st;
        if (st.message() != unconfirmed) {
          std::fprintf(options.out, "  waiting: %s\n", st.message().c_str());
          std::fflush(options.out);
          if (options.tty) r.Forget();
        }
        unconfirmed = st.message();
        break;
      }
      case WaitOutcome::kWait:
        break;
    }
    if (steady_clock::now() >= deadline) {
      if (!unconfirmed.empty()) {
        return DeadlineExceeded("not ready after {}s: {}", options.timeout.count(), unconfirmed);
      }
      if (last) {
        for (const auto& m : last->members) {
          if (static_cast<int>(m.ordinal) >= replicas || m.ready) continue;
          const std::string name(MemberStepName(m.step));
          const std::string step = m.step == MemberStep::kStarting ? "agent" : name;
          return DeadlineExceeded(
              "{} not ready after {}s (step: {}); see {}", m.name, options.timeout.count(), name,
              paths.log_file(m.name, step == "stopped" || step == "failed" ? "mariadbd" : step));
        }
        if (!last->haproxy_error.empty()) return DeadlineExceeded("{}", last->haproxy_error);
      }
      return DeadlineExceeded("cluster not ready after {}s; see {} and {}", options.timeout.count(),
                              paths.supervisor_log(), paths.haproxy_log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // reads one small file
  }
}

Status WaitForSupervisorExit(FileSystem& fs, const ClusterPaths& paths, pid_t supervisor,
                             const WaitOptions& options) {
  Renderer r(options);
  const auto deadline = steady_clock::now() + options.timeout;
  while (ProcessAlive(supervisor) && RunningSupervisor(paths)) {
    if (auto state = LoadState(fs, paths); state.ok() && state->pid == supervisor) {
      r.Show(fs, paths, *state, 0);
    }
    if (steady_clock::now() >= deadline) {
      return DeadlineExceeded("the supervisor (pid {}) still runs {}s after SIGTERM; see {}",
                              supervisor, options.timeout.count(), paths.supervisor_log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (auto state = LoadState(fs, paths); state.ok()) r.Show(fs, paths, *state, 0);
  return Status::Ok();
}

}  // namespace mysqlset::local
