#include "backup/catalog.h"

#include <algorithm>

#include "spdlog/spdlog.h"

namespace mysqlset::backup {

Result<std::vector<CatalogEntry>> ListBackups(Repository& repo) {
  ASSIGN_OR_RETURN(auto folders, repo.ListFolders(formats::kBackupsPrefix));
  std::vector<CatalogEntry> out;
  for (const auto& id : folders) {
    auto text = repo.GetText(formats::BackupKey(id, formats::kManifestName));
    if (text.status().code() == StatusCode::kNotFound) continue;  // not published
    if (!text.ok()) return text.status();
    auto m = formats::FromJson<formats::BackupManifest>(*text);
    if (!m.ok()) {
      return m.status().Annotate(
          fmt::format("{} in {}", formats::BackupKey(id, formats::kManifestName), repo.Describe()));
    }
    CatalogEntry e{std::move(*m), std::nullopt};
    if (auto v = repo.GetText(formats::BackupKey(id, formats::kVerifiedName)); v.ok()) {
      if (auto parsed = formats::FromJson<formats::BackupVerification>(*v); parsed.ok()) {
        e.verification = std::move(*parsed);
      }
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const CatalogEntry& a, const CatalogEntry& b) {
    if (a.manifest.finished_at_unix != b.manifest.finished_at_unix) {
      return a.manifest.finished_at_unix > b.manifest.finished_at_unix;
    }
    return a.manifest.id > b.manifest.id;
  });
  return out;
}

Result<std::vector<formats::BackupFailure>> ListFailures(Repository& repo, size_t limit) {
  ASSIGN_OR_RETURN(auto ids, repo.ListFolders(formats::kFailuresPrefix));
  formats::FailureIdsNewestFirst(ids);
  std::vector<formats::BackupFailure> out;
  for (const auto& id : ids) {
    if (out.size() >= limit) break;
    const std::string key = formats::FailureKey(id);
    auto text = repo.GetText(key);
    if (text.status().code() == StatusCode::kNotFound) continue;
    if (!text.ok()) return text.status();
    // A record that does not parse, or names another folder, is skipped with a warning: it
    // must not blind the backup-age metrics nor stop listing and retention, and prune
    // deletes by the id inside a record.
    auto f = formats::FromJson<formats::BackupFailure>(*text);
    if (!f.ok() || f->id != id) {
      spdlog::warn("skipping failure record {} in {}: {}", key, repo.Describe(),
                   f.ok() ? "its id names another folder" : f.status().message());
      continue;
    }
    out.push_back(std::move(*f));
  }
  return out;
}

Status PruneFailure(Repository& repo, const std::string& id) {
  return repo.RemoveFolder(std::string(formats::kFailuresPrefix) + "/" + id);
}

std::vector<FailedBackupEntry> FailedEntriesOf(
    const std::vector<formats::BackupFailure>& failures) {
  std::vector<FailedBackupEntry> out;
  for (const auto& f : failures) out.push_back({f.id, f.ended_at_unix_ms});
  return out;
}

namespace {

// The record that publishes a folder first, then the folder: an interrupted prune leaves an
// unlisted folder, never a listed one with objects missing.
Status Unpublish(Repository& repo, const std::string& record_key, const char* prefix,
                 const std::string& id) {
  RETURN_IF_ERROR(repo.Remove(record_key));
  return repo.RemoveFolder(std::string(prefix) + "/" + id);
}

}  // namespace

Status PruneBackup(Repository& repo, const std::string& id) {
  return Unpublish(repo, formats::BackupKey(id, formats::kManifestName), formats::kBackupsPrefix,
                   id);
}

std::vector<BackupEntry> EntriesOf(const std::vector<CatalogEntry>& catalog) {
  std::vector<BackupEntry> out;
  for (const auto& e : catalog) {
    out.push_back({e.manifest.id, e.manifest.finished_at_unix, e.verification.has_value()});
  }
  return out;
}

Result<std::vector<formats::BinlogSegment>> ListBinlogs(Repository& repo) {
  ASSIGN_OR_RETURN(auto folders, repo.ListFolders(formats::kBinlogsPrefix));
  std::vector<formats::BinlogSegment> out;
  for (const auto& id : folders) {
    const std::string key = formats::SegmentKey(id, formats::kSegmentName);
    auto text = repo.GetText(key);
    if (text.status().code() == StatusCode::kNotFound) continue;  // not published
    if (!text.ok()) return text.status();
    auto s = formats::FromJson<formats::BinlogSegment>(*text);
    if (!s.ok()) return s.status().Annotate(fmt::format("{} in {}", key, repo.Describe()));
    out.push_back(std::move(*s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.start_unix != b.start_unix ? a.start_unix < b.start_unix : a.id < b.id;
  });
  return out;
}

Status PruneBinlog(Repository& repo, const std::string& id) {
  return Unpublish(repo, formats::SegmentKey(id, formats::kSegmentName), formats::kBinlogsPrefix,
                   id);
}

namespace {

GtidList GtidOrEmpty(const std::string& text) {
  auto g = GtidList::Parse(text);
  return g.ok() ? *g : GtidList();
}

}  // namespace

std::vector<RestorableBackup> RestorablesOf(const std::vector<CatalogEntry>& catalog) {
  std::vector<RestorableBackup> out;
  for (const auto& e : catalog) {
    out.push_back({e.manifest.id, GtidOrEmpty(e.manifest.gtid), e.manifest.finished_at_unix});
  }
  return out;
}

std::vector<ArchivedBinlog> ArchivedOf(const std::vector<formats::BinlogSegment>& segments) {
  std::vector<ArchivedBinlog> out;
  for (const auto& s : segments) {
    out.push_back(
        {s.id, GtidOrEmpty(s.start_gtid), GtidOrEmpty(s.end_gtid), s.start_unix, s.end_unix});
  }
  return out;
}

}  // namespace mysqlset::backup
