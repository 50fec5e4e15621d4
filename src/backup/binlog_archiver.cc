#include "backup/binlog_archiver.h"

#include <filesystem>
#include <fstream>

#include "backup/metrics_text.h"
#include "core/pitr.h"
#include "fmt/format.h"
#include "formats/binlog_segment.h"

namespace mysqlset::backup {
namespace {

// The format description and Gtid_list events are the first ones: a few hundred bytes.
constexpr size_t kHeadBytes = 64 * 1024;

Result<formats::BinlogHead> ReadHead(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read {}", path);
  std::string buf(kHeadBytes, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<size_t>(in.gcount()));
  auto head = formats::ParseBinlogHead(buf);
  if (!head.ok()) return head.status().Annotate(path);
  return head;
}

GtidList ParseOrEmpty(const std::string& text) {
  auto g = GtidList::Parse(text);
  return g.ok() ? *g : GtidList();
}

// The state before the file's first transaction: its Gtid_list, or, when its first GTID is
// further on (a replica's first file after a clone lists an empty state), just before it.
GtidList StartOf(const formats::BinlogHead& head) {
  const GtidList listed = ParseOrEmpty(head.gtid_list);
  auto first = GtidList::Parse(head.first_gtid);
  if (!first.ok() || first->empty() || first->gtids()[0].seq == 0) return listed;
  const Gtid& g = first->gtids()[0];
  return HigherOf(listed, ParseOrEmpty(fmt::format("{}-{}-{}", g.domain, g.server_id, g.seq - 1)));
}

}  // namespace

std::string ArchiveMetricsText(const ArchiverStats& s, std::string_view cluster) {
  // Whole names as literals: tests/k8s/monitoring/check_metrics.py reads them from here.
  const PlainMetric metrics[] = {
      {"mysqlset_binlog_archive_active", "gauge",
       "1 while this member is the primary and archives its binlogs.", s.active ? 1 : 0},
      {"mysqlset_binlog_archive_last_closed_timestamp_seconds", "gauge",
       "When the newest archived binlog was closed (unix seconds; 0 none): the archive lags "
       "behind the primary by now minus this.",
       s.last_archived_unix},
      {"mysqlset_binlog_archive_segments_total", "counter", "Binlog files this agent archived.",
       static_cast<int64_t>(s.segments_archived)},
      {"mysqlset_binlog_archive_failures_total", "counter", "Archiving passes that failed.",
       static_cast<int64_t>(s.failures)},
      {"mysqlset_binlog_archive_gap", "gauge",
       "1 when a file this agent archived starts past the archive's end.", s.gap.empty() ? 0 : 1},
  };
  return PlainMetricsText(metrics, cluster);
}

std::vector<std::string> BinlogIndexFiles(const std::string& index_text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < index_text.size()) {
    size_t end = index_text.find('\n', start);
    if (end == std::string::npos) end = index_text.size();
    std::string line = index_text.substr(start, end - start);
    start = end + 1;
    const size_t slash = line.rfind('/');
    if (slash != std::string::npos) line = line.substr(slash + 1);
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

BinlogArchiver::BinlogArchiver(ArchiverOptions options, Repository& repo, const Clock& clock,
                               Hooks hooks)
    : o_(std::move(options)), repo_(repo), clock_(clock), hooks_(std::move(hooks)) {}

ArchiverStats BinlogArchiver::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Status BinlogArchiver::Fail(Status st) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.failures;
  stats_.last_error = st.message();
  return st;
}

Status BinlogArchiver::RunOnce(bool leading, const GtidList& binlog_pos) {
  if (!leading) {
    loaded_ = false;
    last_flush_.reset();
    std::lock_guard<std::mutex> lock(mu_);
    stats_.active = false;
    return Status::Ok();
  }
  if (!loaded_) {
    if (Status st = LoadArchive(); !st.ok()) return Fail(st.Annotate("reading the binlog archive"));
    loaded_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.active = true;
  }
  // Close the active file when the interval is up and it holds what the archive lacks.
  const auto now = clock_.Now();
  if ((!last_flush_ || now - *last_flush_ >= o_.interval) && !archive_end_.Covers(binlog_pos)) {
    auto index = std::filesystem::path(o_.binlog_dir) / o_.index_name;
    std::ifstream in(index);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto files = BinlogIndexFiles(text);
    bool news = true;
    if (!files.empty()) {
      auto head = ReadHead(o_.binlog_dir + "/" + files.back());
      news = !head.ok() || !ParseOrEmpty(head->gtid_list).Covers(binlog_pos);
    }
    if (news) {
      if (Status st = hooks_.flush_binary_logs(); !st.ok()) {
        return Fail(st.Annotate("FLUSH BINARY LOGS"));
      }
      last_flush_ = now;
    }
  }
  if (Status st = ArchiveClosedFiles(); !st.ok()) return Fail(st);
  std::lock_guard<std::mutex> lock(mu_);
  stats_.last_error.clear();
  return Status::Ok();
}

Status BinlogArchiver::LoadArchive() {
  ASSIGN_OR_RETURN(auto folders, repo_.ListFolders(formats::kBinlogsPrefix));
  GtidList end;
  int64_t last = 0;
  for (const auto& id : folders) {
    auto text = repo_.GetText(formats::SegmentKey(id, formats::kSegmentName));
    if (text.status().code() == StatusCode::kNotFound) continue;  // not published
    if (!text.ok()) return text.status();
    ASSIGN_OR_RETURN(auto s, formats::FromJson<formats::BinlogSegment>(*text));
    end = HigherOf(end, ParseOrEmpty(s.end_gtid));
    last = std::max(last, s.end_unix);
    if (s.member == o_.member) done_.insert(s.id);
  }
  archive_end_ = end;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.archived_gtid = end.ToString();
  stats_.last_archived_unix = std::max(stats_.last_archived_unix, last);
  return Status::Ok();
}

Status BinlogArchiver::ArchiveClosedFiles() {
  const std::string index = o_.binlog_dir + "/" + o_.index_name;
  std::ifstream in(index);
  if (!in) return NotFound("cannot read the binlog index {}", index);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto files = BinlogIndexFiles(text);
  // Every file but the last (the active one) is closed; the next one's head closes it.
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    if (done_.count(files[i])) continue;
    RETURN_IF_ERROR(ArchiveFile(files[i], files[i + 1]));
  }
  return Status::Ok();
}

Status BinlogArchiver::ArchiveFile(const std::string& file, const std::string& next) {
  const std::string path = o_.binlog_dir + "/" + file;
  ASSIGN_OR_RETURN(const formats::BinlogHead head, ReadHead(path));
  ASSIGN_OR_RETURN(const formats::BinlogHead next_head, ReadHead(o_.binlog_dir + "/" + next));
  formats::BinlogSegment s;
  s.id = formats::SegmentIdOf(head.created_unix, o_.member, file);
  const GtidList start = StartOf(head);
  const GtidList end = ParseOrEmpty(next_head.gtid_list);
  if (done_.count(s.id) || archive_end_.Covers(end)) {
    done_.insert(file);  // archived before, or holds nothing the archive lacks
    return Status::Ok();
  }
  s.cluster = o_.cluster;
  s.member = o_.member;
  s.file = file;
  s.start_gtid = start.ToString();
  s.end_gtid = next_head.gtid_list;
  s.start_unix = head.created_unix;
  s.end_unix = next_head.created_unix;
  // Upload a copy (PutFile consumes it), verify it as stored, then publish the record.
  const std::string copy = repo_.ScratchDir() + "/" + s.id;
  std::error_code ec;
  std::filesystem::create_directories(repo_.ScratchDir(), ec);
  std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Internal("copying {} to {}: {}", path, copy, ec.message());
  ASSIGN_OR_RETURN(const FileDigest d, DigestFile(copy));
  const std::string key = formats::SegmentKey(s.id, file);
  RETURN_IF_ERROR(repo_.PutFile(copy, key).Annotate(fmt::format("storing {}", key)));
  ASSIGN_OR_RETURN(const std::string stored, repo_.Sha256Of(key));
  if (stored != d.sha256) {
    return DataLoss("{} in {} reads back with SHA-256 {}, the file has {}", key, repo_.Describe(),
                    stored, d.sha256);
  }
  s.bytes = d.bytes;
  s.sha256 = d.sha256;
  RETURN_IF_ERROR(repo_.PutText(formats::SegmentKey(s.id, formats::kSegmentName), ToJson(s)));
  const bool gap = !archive_end_.empty() && !archive_end_.Covers(start);
  std::lock_guard<std::mutex> lock(mu_);
  if (gap) {
    stats_.gap = fmt::format("no archived binlog holds the transactions after GTID {} up to {}",
                             archive_end_.ToString(), start.ToString());
  }
  archive_end_ = HigherOf(archive_end_, end);
  done_.insert(file);
  ++stats_.segments_archived;
  stats_.archived_gtid = archive_end_.ToString();
  stats_.last_archived_unix = std::max(stats_.last_archived_unix, s.end_unix);
  return Status::Ok();
}

}  // namespace mysqlset::backup
