#include "backup/backup_age_monitor.h"

#include <vector>

#include "backup/catalog.h"
#include "backup/metrics_text.h"

namespace mysqlset::backup {

BackupAgeMonitor::BackupAgeMonitor(Repository& repo, const Clock& clock,
                                   std::chrono::seconds interval)
    : repo_(repo), clock_(clock), interval_(interval) {}

Status BackupAgeMonitor::RunOnce() {
  const auto now = clock_.Now();
  if (last_read_ && now - *last_read_ < interval_) return Status::Ok();
  // Timed from the start, so a read that fails fast is not retried every call.
  last_read_ = now;
  auto catalog = ListBackups(repo_);
  using Failures = std::vector<formats::BackupFailure>;
  Result<Failures> failures = catalog.ok() ? ListFailures(repo_) : Result<Failures>(Failures{});
  const Status st = catalog.ok() ? failures.status() : catalog.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (!st.ok()) {
    ++stats_.read_failures;
    stats_.last_error = st.message();
    return st.Annotate("read the backup catalog");
  }
  stats_.known = true;
  stats_.age = BackupAgeOf(EntriesOf(*catalog));
  stats_.failures = BackupFailuresOf(FailedEntriesOf(*failures), stats_.age.last_success_unix);
  stats_.last_error.clear();
  return Status::Ok();
}

BackupAgeStats BackupAgeMonitor::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

static_assert(kRecentFailuresRead == 10, "the failures gauge's help says 10");

std::string BackupAgeMetricsText(const BackupAgeStats& s, std::string_view cluster) {
  // Whole names as literals: tests/k8s/monitoring/check_metrics.py reads them from here.
  std::vector<PlainMetric> metrics;
  if (s.known) {
    metrics.push_back({"mysqlset_backup_last_success_timestamp_seconds", "gauge",
                       "When the newest published backup in the repository finished (unix "
                       "seconds; 0: the repository holds none).",
                       s.age.last_success_unix});
    metrics.push_back({"mysqlset_backup_last_verified_timestamp_seconds", "gauge",
                       "When the newest backup a restore verified finished (unix seconds; 0: "
                       "none is verified).",
                       s.age.last_verified_unix});
    metrics.push_back({"mysqlset_backup_failures_since_last_success", "gauge",
                       "Backup runs that failed since the newest published backup finished "
                       "(counted among the newest 10 failure records).",
                       s.failures.since_last_success});
    metrics.push_back({"mysqlset_backup_last_failure_timestamp_seconds", "gauge",
                       "When the newest failed backup run ended (unix seconds; 0: none "
                       "recorded).",
                       s.failures.last_failure_unix});
  }
  metrics.push_back({"mysqlset_backup_catalog_read_failures_total", "counter",
                     "Reads of the repository's backup catalog that failed.",
                     static_cast<int64_t>(s.read_failures)});
  return PlainMetricsText(metrics, cluster);
}

}  // namespace mysqlset::backup
