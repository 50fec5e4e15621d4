#pragma once
// When the local supervisor runs `mysqlset backup` for `up --backup-schedule` (docs/backup.md
// "Schedules"), and what it counts. Pure: the supervisor spawns and reaps the runs and tells
// this what happened; times are unix seconds from its clock.
//
// One run at a time: a run that falls due while the previous one still runs is skipped and
// counted (a backup that takes longer than its interval must not pile up). A run due for both
// schedules at once is one run with --verify. After a pause (a suspended machine) missed runs
// are not caught up: the next is the schedule's next time after now. With a retention policy,
// each successful run is followed by a prune (`backups --prune`), which counts as running too.
// A run that falls due while no member is ready (the cluster is starting, or every member is
// down) waits for one instead of failing at once; if the next due time comes first, the waiting
// run is counted as skipped and the new one waits in its place.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/cron.h"
#include "formats/supervisor_state.h"

namespace mysqlset::local {

class BackupScheduler {
 public:
  // `verify`: the --backup-verify-schedule, if any. `log`: where runs write (shown in status).
  // `retention`: the policy's flags ("--keep-last 7"), pruned after each successful run; ""
  // none.
  BackupScheduler(CronSchedule backup, std::optional<CronSchedule> verify, std::string log,
                  int64_t now_unix, std::string retention = "");

  struct Due {
    bool start = false;            // start a run now
    bool verify = false;           // ... with --verify
    bool skipped = false;          // one was due but the previous still runs
    bool prune = false;            // start the prune that follows a successful run
    bool waits = false;            // one fell due and waits for a ready member (once per due time)
    bool skipped_unready = false;  // the one due before never found a ready member
  };
  // Call every tick; `a_member_ready`: some member could be backed up now. Advances the
  // schedule past `now` when a run is due.
  Due Tick(int64_t now_unix, bool a_member_ready);
  // The run Tick asked for started as `pid` (0: it could not start, a failure).
  void Started(pid_t pid, int64_t now_unix);
  // The prune Tick asked for started as `pid` (0: it could not start, a failure).
  void PruneStarted(pid_t pid);
  // The run or prune `pid` ended. False when `pid` is neither (then nothing changes).
  bool Exited(pid_t pid, bool success, const std::string& how, int64_t now_unix);

  pid_t running() const { return state_.running_pid; }
  pid_t pruning() const { return state_.pruning_pid; }
  const formats::ScheduledBackups& state() const { return state_; }

 private:
  void Advance(int64_t now_unix);

  const CronSchedule backup_;
  const std::optional<CronSchedule> verify_;
  std::optional<int64_t> next_backup_;
  std::optional<int64_t> next_verify_;
  bool prune_pending_ = false;
  // A due run waiting for a ready member: with --verify or not.
  std::optional<bool> waiting_verify_;
  formats::ScheduledBackups state_;
};

}  // namespace mysqlset::local
