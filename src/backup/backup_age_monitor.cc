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
  std::lock_guard<std::mutex> lock(mu_);
  if (!catalog.ok()) {
    ++stats_.read_failures;
    stats_.last_error = catalog.status().message();
    return catalog.status().Annotate("read the backup catalog");
  }
  stats_.known = true;
  stats_.age = BackupAgeOf(EntriesOf(*catalog));
  stats_.last_error.clear();
  return Status::Ok();
}

BackupAgeStats BackupAgeMonitor::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

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
  }
  metrics.push_back({"mysqlset_backup_catalog_read_failures_total", "counter",
                     "Reads of the repository's backup catalog that failed.",
                     static_cast<int64_t>(s.read_failures)});
  return PlainMetricsText(metrics, cluster);
}

}  // namespace mysqlset::backup
