#include "local/backup_schedule.h"

#include <algorithm>

namespace mysqlset::local {

BackupScheduler::BackupScheduler(CronSchedule backup, std::optional<CronSchedule> verify,
                                 std::string log, int64_t now_unix, std::string retention)
    : backup_(std::move(backup)), verify_(std::move(verify)) {
  state_.retention = std::move(retention);
  state_.schedule = backup_.text;
  state_.verify_schedule = verify_ ? verify_->text : "";
  state_.log = std::move(log);
  next_backup_ = NextCronRun(backup_, now_unix);
  if (verify_) next_verify_ = NextCronRun(*verify_, now_unix);
  Advance(now_unix);
}

void BackupScheduler::Advance(int64_t now_unix) {
  if (next_backup_ && *next_backup_ <= now_unix) next_backup_ = NextCronRun(backup_, now_unix);
  if (verify_ && next_verify_ && *next_verify_ <= now_unix) {
    next_verify_ = NextCronRun(*verify_, now_unix);
  }
  state_.next_run_unix = next_backup_;
  if (next_verify_ && (!next_backup_ || *next_verify_ < *next_backup_)) {
    state_.next_run_unix = next_verify_;
  }
}

BackupScheduler::Due BackupScheduler::Tick(int64_t now_unix, bool a_member_ready) {
  Due d;
  const bool backup_due = next_backup_ && *next_backup_ <= now_unix;
  const bool verify_due = next_verify_ && *next_verify_ <= now_unix;
  const bool busy = state_.running_pid || state_.pruning_pid;
  if (!backup_due && !verify_due) {
    if (waiting_verify_ && a_member_ready && !busy) {
      d.start = true;
      d.verify = *waiting_verify_;
      waiting_verify_.reset();
      state_.waiting_since_unix.reset();
      return d;
    }
    d.prune = prune_pending_ && !busy;
    return d;
  }
  Advance(now_unix);
  // A run still waiting when the next falls due never ran: it counts as skipped, and the new
  // one takes its place (with --verify if either was due for it).
  const bool verify = verify_due || waiting_verify_.value_or(false);
  if (waiting_verify_) {
    ++state_.skipped;
    d.skipped_unready = true;
    waiting_verify_.reset();
  }
  if (busy) {
    ++state_.skipped;
    d.skipped = true;
    state_.waiting_since_unix.reset();
    return d;
  }
  if (!a_member_ready) {
    waiting_verify_ = verify;
    if (!state_.waiting_since_unix) state_.waiting_since_unix = now_unix;
    d.waits = true;
    return d;
  }
  state_.waiting_since_unix.reset();
  d.start = true;
  d.verify = verify;
  return d;
}

void BackupScheduler::Started(pid_t pid, int64_t now_unix) {
  ++state_.started;
  if (pid == 0) {
    ++state_.failed;
    state_.last_failure_unix = now_unix;
    state_.last_failure = "could not start";
    return;
  }
  state_.running_pid = pid;
  state_.running_since_unix = now_unix;
}

void BackupScheduler::PruneStarted(pid_t pid) {
  prune_pending_ = false;
  if (pid == 0) {
    ++state_.prunes_failed;
    state_.last_prune_failure = "could not start";
    return;
  }
  state_.pruning_pid = pid;
}

bool BackupScheduler::Exited(pid_t pid, bool success, const std::string& how, int64_t now_unix) {
  if (pid != 0 && pid == state_.pruning_pid) {
    state_.pruning_pid = 0;
    if (success) {
      ++state_.prunes_succeeded;
    } else {
      ++state_.prunes_failed;
      state_.last_prune_failure = how;
    }
    return true;
  }
  if (pid == 0 || pid != state_.running_pid) return false;
  state_.running_pid = 0;
  state_.running_since_unix.reset();
  if (success) {
    ++state_.succeeded;
    state_.last_success_unix = now_unix;
    prune_pending_ = !state_.retention.empty();
  } else {
    ++state_.failed;
    state_.last_failure_unix = now_unix;
    state_.last_failure = how;
  }
  return true;
}

}  // namespace mysqlset::local
