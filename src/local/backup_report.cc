#include "local/backup_report.h"

#include <algorithm>

#include "core/pitr.h"
#include "core/repository_spec.h"
#include "fmt/format.h"

namespace mysqlset::local {
namespace {

using nlohmann::ordered_json;

void TakeNewest(std::optional<int64_t>& into, const std::optional<int64_t>& t) {
  if (t && (!into || *t > *into)) into = t;
}

ordered_json TimeJson(const std::optional<int64_t>& t) {
  return t ? ordered_json(FormatUtcTime(*t)) : ordered_json(nullptr);
}

// "2026-11-30T12:00:00Z (3m 5s ago)"
std::string WhenText(int64_t t, int64_t now) {
  const int64_t ago = now - t;
  if (ago < 0) return FormatUtcTime(t);
  std::string age = ago < 60      ? fmt::format("{}s", ago)
                    : ago < 3600  ? fmt::format("{}m {}s", ago / 60, ago % 60)
                    : ago < 86400 ? fmt::format("{}h {}m", ago / 3600, ago % 3600 / 60)
                                  : fmt::format("{}d {}h", ago / 86400, ago % 86400 / 3600);
  return fmt::format("{} ({} ago)", FormatUtcTime(t), age);
}

}  // namespace

BackupReport ReportBackups(const ClusterSpec& spec, const std::vector<MemberReport>& members,
                           const std::optional<formats::ScheduledBackups>& schedule,
                           int64_t now_unix) {
  BackupReport r;
  r.now_unix = now_unix;
  r.repo = RedactedRepositorySpec(spec.archive_repo);  // as shown: never a setting
  r.schedule = schedule;
  const std::optional<std::string> primary = ReportedPrimary(spec, members);
  const formats::AgentStatus::Archive* archiver = nullptr;
  for (const MemberReport& m : members) {
    if (!m.agent || !m.agent->archive) continue;
    const formats::AgentStatus::Archive& a = *m.agent->archive;
    const std::string pod = MemberAddressOf(spec, m.ordinal).pod_name;
    r.archive_reported = true;
    TakeNewest(r.last_closed_unix, a.last_closed_unix);
    if (a.catalog_read) {
      r.catalog_read = true;
      TakeNewest(r.last_backup_unix, a.last_backup_unix);
      TakeNewest(r.last_verified_backup_unix, a.last_verified_backup_unix);
    } else if (r.catalog_error.empty()) {
      r.catalog_error = a.catalog_error;
    }
    if (r.gap.empty()) r.gap = a.gap;
    // Two agents archiving (a hand-over seen mid-way): the reported primary's.
    if (a.active && (!archiver || (primary && pod == *primary))) {
      archiver = &a;
      r.archiver = pod;
    }
  }
  if (r.catalog_read) r.catalog_error.clear();
  if (archiver) {
    r.archive_failures = archiver->failures;
    r.archive_error = archiver->last_error;
    if (!archiver->gap.empty()) r.gap = archiver->gap;
  }
  if (r.last_closed_unix) r.lag_seconds = std::max<int64_t>(0, now_unix - *r.last_closed_unix);
  return r;
}

ordered_json BackupReportJson(const BackupReport& r) {
  if (r.repo.empty() && !r.schedule) return nullptr;
  ordered_json j;
  j["repo"] = r.repo.empty() ? ordered_json(nullptr) : ordered_json(r.repo);
  j["archiving"] = !r.repo.empty();
  j["archiver"] = r.archiver.empty() ? ordered_json(nullptr) : ordered_json(r.archiver);
  j["archive_last_closed"] = TimeJson(r.last_closed_unix);
  j["archive_lag_seconds"] = r.lag_seconds ? ordered_json(*r.lag_seconds) : ordered_json(nullptr);
  j["archive_gap"] = r.gap;
  j["archive_failures"] = r.archive_failures;
  j["archive_error"] = r.archive_error;
  j["catalog_read"] = r.catalog_read;
  j["last_backup"] = TimeJson(r.last_backup_unix);
  j["last_verified_backup"] = TimeJson(r.last_verified_backup_unix);
  j["catalog_error"] = r.catalog_error;
  if (r.schedule) {
    const formats::ScheduledBackups& s = *r.schedule;
    j["schedule"] = {
        {"schedule", s.schedule},
        {"verify_schedule",
         s.verify_schedule.empty() ? ordered_json(nullptr) : ordered_json(s.verify_schedule)},
        {"next_run", TimeJson(s.next_run_unix)},
        {"running_pid", s.running_pid ? ordered_json(s.running_pid) : ordered_json(nullptr)},
        {"running_since", TimeJson(s.running_since_unix)},
        {"started", s.started},
        {"succeeded", s.succeeded},
        {"failed", s.failed},
        {"skipped", s.skipped},
        {"waiting_for_ready_member_since", TimeJson(s.waiting_since_unix)},
        {"last_success", TimeJson(s.last_success_unix)},
        {"last_failure", TimeJson(s.last_failure_unix)},
        {"last_failure_exit", s.last_failure},
        {"log", s.log},
        {"retention", s.retention.empty() ? ordered_json(nullptr) : ordered_json(s.retention)},
        {"pruning_pid", s.pruning_pid ? ordered_json(s.pruning_pid) : ordered_json(nullptr)},
        {"prunes_succeeded", s.prunes_succeeded},
        {"prunes_failed", s.prunes_failed},
        {"last_prune_failure", s.last_prune_failure}};
  } else {
    j["schedule"] = nullptr;
  }
  return j;
}

std::string RenderBackupLines(const BackupReport& r) {
  const int64_t now = r.now_unix;
  std::string out;
  if (!r.repo.empty()) {
    out += fmt::format("binlog archive: on, into {}; ", r.repo);
    if (!r.archive_reported) {
      out += "no agent reports it (agents down or older)\n";
    } else {
      out += r.archiver.empty() ? "no member archives now (no primary)"
                                : fmt::format("{} archives", r.archiver);
      out += r.last_closed_unix ? fmt::format("; newest archived binlog closed {}\n",
                                              WhenText(*r.last_closed_unix, now))
                                : std::string("; no archived binlog known yet\n");
    }
    if (!r.gap.empty()) out += fmt::format("binlog archive GAP: {}\n", r.gap);
    if (!r.archive_error.empty()) {
      out += fmt::format("binlog archive: {} failed pass(es), last: {}\n", r.archive_failures,
                         r.archive_error);
    }
    if (r.catalog_read) {
      out += "backups: newest ";
      out += r.last_backup_unix ? WhenText(*r.last_backup_unix, now) : "none";
      out += ", newest verified ";
      out += r.last_verified_backup_unix ? WhenText(*r.last_verified_backup_unix, now) : "none";
      out += "\n";
    } else if (r.archive_reported) {
      out +=
          r.catalog_error.empty()
              ? std::string("backups: unknown (the repository's catalog is not read yet)\n")
              : fmt::format("backups: unknown (reading the catalog failed: {})\n", r.catalog_error);
    }
  }
  if (r.schedule) {
    const formats::ScheduledBackups& s = *r.schedule;
    out += fmt::format("backup schedule: '{}' UTC", s.schedule);
    if (!s.verify_schedule.empty()) out += fmt::format(", with --verify '{}'", s.verify_schedule);
    if (s.running_pid) {
      out += fmt::format(
          "; running (pid {}{})", s.running_pid,
          s.running_since_unix ? ", since " + WhenText(*s.running_since_unix, now) : std::string());
    }
    if (s.waiting_since_unix) {
      out += "; waiting for a ready member since " + WhenText(*s.waiting_since_unix, now);
    }
    if (s.next_run_unix) out += "; next " + FormatUtcTime(*s.next_run_unix);
    out += fmt::format("\nbackup schedule: {} started, {} succeeded, {} failed, {} skipped",
                       s.started, s.succeeded, s.failed, s.skipped);
    if (s.last_success_unix) out += "; last success " + WhenText(*s.last_success_unix, now);
    if (s.last_failure_unix) {
      out += fmt::format("; last failure ({}) {}", s.last_failure,
                         WhenText(*s.last_failure_unix, now));
    }
    if (!s.log.empty()) out += "; log " + s.log;
    out += "\n";
    if (!s.retention.empty()) {
      out += fmt::format(
          "backup retention: {} after each successful run; prune runs: {} succeeded, {} failed",
          s.retention, s.prunes_succeeded, s.prunes_failed);
      if (!s.last_prune_failure.empty()) out += " (last: " + s.last_prune_failure + ")";
      if (s.pruning_pid) out += fmt::format("; pruning now (pid {})", s.pruning_pid);
      out += "\n";
    }
  }
  return out;
}

}  // namespace mysqlset::local
