#include "core/pitr.h"

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>

#include "fmt/format.h"

namespace mysqlset {

GtidList HigherOf(const GtidList& a, const GtidList& b) {
  std::map<uint32_t, Gtid> by_domain;
  for (const GtidList* l : {&a, &b}) {
    for (const Gtid& g : l->gtids()) {
      auto [it, added] = by_domain.emplace(g.domain, g);
      if (!added && g.seq > it->second.seq) it->second = g;
    }
  }
  std::string text;
  for (const auto& [domain, g] : by_domain) {
    text += fmt::format("{}{}-{}-{}", text.empty() ? "" : ",", g.domain, g.server_id, g.seq);
  }
  auto parsed = GtidList::Parse(text);
  return parsed.ok() ? *parsed : a;
}

namespace {

bool Same(const GtidList& a, const GtidList& b) { return a.Covers(b) && b.Covers(a); }

struct Chain {
  GtidList reached;
  int64_t until_unix = 0;  // no transaction past `reached` committed before this time
  std::vector<ReplayStep> steps;
};

// Follows the archive from `from` (as of `from_unix`) while a binlog continues it (starts at
// or before the state reached and goes further), taking the one that goes furthest, until
// `done` says the chain is long enough or nothing continues it.
Chain Follow(const GtidList& from, int64_t from_unix, const std::vector<ArchivedBinlog>& binlogs,
             const std::function<bool(const Chain&)>& done) {
  Chain c{from, from_unix, {}};
  // A binlog that holds nothing past the state reached still shows that nothing was
  // committed until it was closed (a new primary's first file after a switchover).
  auto stretch = [&] {
    for (const auto& b : binlogs) {
      if (c.reached.Covers(b.start) && Same(b.end, c.reached)) {
        c.until_unix = std::max(c.until_unix, b.end_unix);
      }
    }
  };
  stretch();
  for (size_t n = 0; n < binlogs.size() && !done(c); ++n) {
    const ArchivedBinlog* best = nullptr;
    for (const auto& b : binlogs) {
      if (!c.reached.Covers(b.start) || c.reached.Covers(b.end)) continue;
      if (!best || c.reached.TransactionsBehind(b.end) > c.reached.TransactionsBehind(best->end) ||
          (c.reached.TransactionsBehind(b.end) == c.reached.TransactionsBehind(best->end) &&
           b.end_unix > best->end_unix)) {
        best = &b;
      }
    }
    if (!best) break;
    c.steps.push_back({best->id, c.reached});
    c.reached = HigherOf(c.reached, best->end);
    c.until_unix = std::max(c.until_unix, best->end_unix);
    stretch();
  }
  return c;
}

bool Never(const Chain&) { return false; }

std::vector<RestorableBackup> OldestFirst(std::vector<RestorableBackup> backups) {
  std::sort(backups.begin(), backups.end(), [](const auto& a, const auto& b) {
    return a.finished_at_unix != b.finished_at_unix ? a.finished_at_unix < b.finished_at_unix
                                                    : a.id < b.id;
  });
  return backups;
}

std::string Windows(const RecoveryView& view) {
  if (view.windows.empty()) return "none (no backup)";
  std::string out;
  for (const auto& w : view.windows) out += (out.empty() ? "" : "; ") + DescribeWindow(w);
  return out;
}

std::string GapsNote(const RecoveryView& view) {
  if (view.gaps.empty()) return "";
  return "; the archive has a gap: " + DescribeGap(view.gaps.back());
}

std::string Show(const GtidList& g) { return g.empty() ? "(none)" : g.ToString(); }

}  // namespace

RecoveryView ComputeRecoveryView(const std::vector<RestorableBackup>& backups,
                                 const std::vector<ArchivedBinlog>& binlogs) {
  RecoveryView view;
  for (const auto& b : OldestFirst(backups)) {
    const Chain c = Follow(b.gtid, b.finished_at_unix, binlogs, Never);
    if (!view.windows.empty() && b.finished_at_unix <= view.windows.back().to_unix) {
      RecoveryWindow& w = view.windows.back();
      w.to_unix = std::max(w.to_unix, c.until_unix);
      w.to_gtid = HigherOf(w.to_gtid, c.reached);
      continue;
    }
    view.windows.push_back({b.finished_at_unix, c.until_unix, b.id, c.reached});
  }
  // Gaps in the archive itself: follow it from its oldest binlog; where it stops with
  // binlogs left beyond, the gap runs to the earliest of those.
  if (binlogs.empty()) return view;
  const ArchivedBinlog* first = &binlogs.front();
  for (const auto& b : binlogs) {
    if (first->start.Covers(b.start) && !Same(first->start, b.start)) first = &b;
  }
  Chain c = Follow(first->start, first->start_unix, binlogs, Never);
  for (size_t n = 0; n < binlogs.size(); ++n) {
    const ArchivedBinlog* next = nullptr;
    for (const auto& b : binlogs) {
      if (c.reached.Covers(b.end)) continue;
      if (!next || next->start.Covers(b.start)) next = &b;
    }
    if (!next) break;
    view.gaps.push_back({c.reached, next->start, c.until_unix, next->start_unix});
    c = Follow(next->start, next->start_unix, binlogs, Never);
  }
  return view;
}

Result<int64_t> ParseUtcTime(const std::string& text) {
  struct tm tm {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  const std::string zone = end ? std::string(end) : "";
  if (!end || (zone != "Z" && zone != "+00:00")) {
    return InvalidArgument(
        "'{}' is not a UTC time: write it as 2026-11-30T12:00:00Z (seconds, in UTC, with the Z)",
        text);
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::string FormatUtcTime(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string DescribeWindow(const RecoveryWindow& w) {
  return fmt::format("{} .. {} (backup {} .. GTID {})", FormatUtcTime(w.from_unix),
                     FormatUtcTime(w.to_unix), w.from_backup, Show(w.to_gtid));
}

std::string DescribeGap(const ArchiveGap& g) {
  return fmt::format("no archived binlog holds the transactions after GTID {} up to {} ({} .. {})",
                     Show(g.after), Show(g.before), FormatUtcTime(g.from_unix),
                     FormatUtcTime(g.to_unix));
}

Result<ReplayPlan> PlanRecovery(const std::vector<RestorableBackup>& backups,
                                const std::vector<ArchivedBinlog>& binlogs,
                                const RecoveryTarget& target) {
  if (target.time_unix.has_value() == target.gtid.has_value()) {
    return InvalidArgument("give one recovery target: --to-time or --to-gtid");
  }
  const std::vector<RestorableBackup> oldest_first = OldestFirst(backups);
  if (oldest_first.empty()) return NotFound("the repository holds no backup to start from");
  const RecoveryView view = ComputeRecoveryView(backups, binlogs);
  const std::string what =
      target.time_unix ? FormatUtcTime(*target.time_unix) : "GTID " + target.gtid->ToString();
  bool any_before = false;
  for (auto b = oldest_first.rbegin(); b != oldest_first.rend(); ++b) {
    Chain c;
    if (target.time_unix) {
      if (b->finished_at_unix > *target.time_unix) continue;
      const int64_t t = *target.time_unix;
      c = Follow(b->gtid, b->finished_at_unix, binlogs,
                 [t](const Chain& c) { return c.until_unix >= t; });
      any_before = true;
      if (c.until_unix < t) continue;
    } else {
      const GtidList& g = *target.gtid;
      if (!g.Covers(b->gtid)) continue;
      any_before = true;
      c = Follow(b->gtid, b->finished_at_unix, binlogs,
                 [&g](const Chain& c) { return c.reached.Covers(g); });
      if (!c.reached.Covers(g)) continue;
    }
    return ReplayPlan{b->id, std::move(c.steps)};
  }
  if (!any_before) {
    return FailedPrecondition(
        "the target {} is before the oldest backup ({}, finished {} at GTID {}): no backup to "
        "start from",
        what, oldest_first.front().id, FormatUtcTime(oldest_first.front().finished_at_unix),
        Show(oldest_first.front().gtid));
  }
  return FailedPrecondition(
      "the target {} is outside the recoverable window: {}{}; choose a target inside it (mysqlset "
      "backups --repo shows it)",
      what, Windows(view), GapsNote(view));
}

}  // namespace mysqlset
