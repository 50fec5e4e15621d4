#include "core/data_state.h"

#include <time.h>

#include <cctype>
#include <vector>

namespace mysqlset {

DataVerdict ClassifyData(const DatadirEvidence& e) {
  if (!e.datadir) return {DataState::kEmpty, "no datadir"};
  if (e.marker) return {DataState::kReady, "completion marker present"};
  const std::string record = e.clone_record ? "; a clone record is present" : "";
  // Only mariabackup's own names for an unprepared backup count as evidence against a
  // datadir; an unknown or missing backup_type is no evidence either way (the files decide),
  // so a garbled checkpoints file never gets an intact datadir set aside.
  if (e.backup_type && (*e.backup_type == "full-backuped" || *e.backup_type == "incremental")) {
    return {DataState::kIncomplete, "it is a backup that was never prepared (backup_type = " +
                                        *e.backup_type + ")" + record};
  }
  std::vector<std::string> missing;
  if (!e.ibdata1) missing.push_back("ibdata1");
  if (!e.redo_log) missing.push_back("ib_logfile0");
  if (!e.system_tables) missing.push_back("mysql/global_priv");
  const bool prepared = e.backup_type == "log-applied" || e.backup_type == "full-prepared";
  // Installs write the pending marker, rename the finished datadir into place, then rename
  // the pending marker to the marker: an intact datadir beside a pending marker was
  // complete. A pending marker left by a failed install must not vouch for anything else
  // that appears at DATA/mysql later, hence the intact-files condition.
  if (e.pending_marker && missing.empty()) {
    return {DataState::kInstallCut,
            "the install was cut after the datadir was renamed into place and before the "
            "completion marker was written"};
  }
  if (missing.empty()) {
    return {DataState::kUnmarked, "ibdata1, ib_logfile0 and the system tables are present" +
                                      std::string(prepared ? " (a prepared backup)" : "") + record};
  }
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  return {DataState::kIncomplete, "it lacks " + list + record};
}

std::optional<std::string> BackupTypeOf(const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      const char* ws = " \t\r";
      const size_t b = s.find_first_not_of(ws);
      if (b == std::string::npos) return std::string();
      return s.substr(b, s.find_last_not_of(ws) - b + 1);
    };
    if (trim(line.substr(0, eq)) == "backup_type") return trim(line.substr(eq + 1));
  }
  return std::nullopt;
}

std::string MarkerPathOf(const std::string& data_dir) { return data_dir + "/.mysqlset-complete"; }
std::string RecloneRequestPathOf(const std::string& data_dir) {
  return data_dir + "/.mysqlset-reclone";
}
std::string PendingMarkerPathOf(const std::string& data_dir) {
  return data_dir + "/.mysqlset-complete.pending";
}
std::string StagingPathOf(const std::string& data_dir) { return data_dir + "/mysql.staging"; }

std::string KeptDatadirName(int64_t unix_seconds, int attempt) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  std::string name = std::string(kKeptDatadirPrefix) + "." + buf;
  if (attempt > 1) name += "-" + std::to_string(attempt);
  return name;
}

bool IsKeptDatadirName(const std::string& name, std::string* kept_at) {
  const std::string prefix = kKeptDatadirPrefix;
  if (name == prefix) {
    if (kept_at) kept_at->clear();
    return true;
  }
  // mysql.discarded.YYYYMMDDTHHMMSSZ[-N]
  if (name.size() < prefix.size() + 17 || name.compare(0, prefix.size() + 1, prefix + ".") != 0) {
    return false;
  }
  const std::string t = name.substr(prefix.size() + 1);
  auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
    }
    return true;
  };
  if (!digits(0, 8) || t[8] != 'T' || !digits(9, 6) || t[15] != 'Z') return false;
  if (t.size() > 16 && (t[16] != '-' || t.size() == 17 || !digits(17, t.size() - 17))) {
    return false;
  }
  if (kept_at) {
    *kept_at = t.substr(0, 4) + "-" + t.substr(4, 2) + "-" + t.substr(6, 2) + "T" + t.substr(9, 2) +
               ":" + t.substr(11, 2) + ":" + t.substr(13, 2) + "Z";
  }
  return true;
}

}  // namespace mysqlset
