#include "backup/backup_run.h"

#include <algorithm>

#include "agent/clone_receiver.h"
#include "backup/xbstream_check.h"
#include "core/disk_space.h"
#include "fmt/format.h"
#include "net/backup_protocol.h"

namespace mysqlset::backup {

Status UnpackObject(ProcessRunner& runner, const std::string& object, const std::string& dir,
                    const std::string& log_file) {
  ProcessSpec spec;
  spec.argv = {"bash",   "-c",   "set -euo pipefail; zstd -q -dc -- \"$1\" | mbstream -x -C \"$2\"",
               "unpack", object, dir};
  spec.output_file = log_file;
  spec.timeout = std::chrono::hours(6);
  auto r = runner.Run(spec);
  if (!r.ok()) return r.status();
  if (!r->ok()) {
    return DataLoss("zstd -d | mbstream -x of {} failed (exit {}); see {}", object, r->exit_code,
                    log_file);
  }
  return Status::Ok();
}

namespace {

constexpr size_t kMaxRecordedErrorBytes = 2000;

class Run {
 public:
  Run(BackupRunEnv& env, const BackupRunOptions& o) : env_(env), o_(o) {}

  Result<formats::BackupManifest> Go() {
    started_at_ms_ = env_.clock.UnixMillis();
    m_.cluster = o_.cluster;
    m_.source_member = o_.source.name;
    m_.started_at_unix = started_at_ms_ / 1000;
    m_.id = formats::BackupIdOf(m_.started_at_unix, o_.source.name);
    const std::string manifest_key = formats::BackupKey(m_.id, formats::kManifestName);
    if (env_.repo.GetText(manifest_key).ok()) {
      return FailedPrecondition("{} already holds backup {}: wait a second and retry",
                                env_.repo.Describe(), m_.id);
    }
    Status st = Attempt(manifest_key);
    if (!st.ok())
      return WithFailureRecorded(st.Annotate(fmt::format("backup from {}", o_.source.name)));
    return m_;
  }

 private:
  Status Attempt(const std::string& manifest_key) {
    work_ = env_.repo.ScratchDir() + "/" + m_.id;
    RETURN_IF_ERROR(env_.fs.RemoveAll(work_));
    RETURN_IF_ERROR(env_.fs.MakeDirs(work_, 0700).Annotate("work dir"));
    Status st = Stream();
    if (st.ok()) st = StoreAndVerify();
    if (st.ok()) {
      m_.finished_at_unix = env_.clock.UnixSeconds();
      // Published last: until this write succeeds, the backup does not exist for readers.
      st = env_.repo.PutText(manifest_key, formats::ToJson(m_)).Annotate("publish the manifest");
    }
    (void)env_.fs.RemoveAll(work_);
    return st;
  }

  // Leaves failures/<ID>/failure.json, outside the backup's folder, so that the backup
  // metrics see a failed run whoever ran it. The run's own error stays first in the line.
  Status WithFailureRecorded(const Status& failed) {
    formats::BackupFailure f;
    f.id = formats::FailureIdOf(started_at_ms_, o_.source.name);
    f.cluster = o_.cluster;
    f.source_member = o_.source.name;
    f.started_at_unix_ms = started_at_ms_;
    f.ended_at_unix_ms = env_.clock.UnixMillis();
    // One line, and small: a remote's stderr can be long, and the monitor reads these often.
    // Printable ASCII: a cut UTF-8 sequence would make the JSON writer throw.
    f.error = net::OneLine(failed.message(), kMaxRecordedErrorBytes);
    const Status put = env_.repo.PutText(formats::FailureKey(f.id), formats::ToJson(f));
    if (put.ok()) return failed;
    return Status(failed.code(),
                  fmt::format("{} (and the failure could not be recorded in {}: {})",
                              failed.message(), env_.repo.Describe(), put.message()));
  }

  Status Stream() {
    net::BackupClientOptions co;
    co.host = o_.source.host;
    co.port = o_.source.port;
    co.token = o_.backup_token;
    ASSIGN_OR_RETURN(auto stream, env_.dialer.Connect(co));
    if (o_.on_connected) o_.on_connected();
    const uint64_t estimate = stream->hello().estimated_bytes;
    local_object_ = work_ + "/" + formats::kXbstreamObject;
    // The compressed bytes go to the work file and, at the same time, to `zstd -t`, which
    // decompresses them whole and recomputes the frame's checksum (--check, zstd's default,
    // spelled out: XXH64 of the bytes compressed). So the object is proven to decompress to
    // the stream checked below while CPUs are free, rather than read and decompressed again
    // after the upload; the SHA-256 read back from the repository then proves it holds
    // exactly these bytes.
    ASSIGN_OR_RETURN(
        auto zstd,
        env_.pipes.Start({"bash", "-c",
                          "set -o pipefail; zstd -q \"-$2\" -T0 --check -c | tee -- \"$1\" | "
                          "zstd -q -t",
                          "compress", local_object_, std::to_string(o_.zstd_level)},
                         work_ + "/zstd.log"));
    const auto t0 = env_.clock.Now();
    auto last = t0;
    uint64_t bytes = 0;
    XbstreamCheck check({std::begin(kBinlogInfoFiles), std::end(kBinlogInfoFiles)});
    Status st = stream->Receive([&](std::string_view data) -> Status {
      // Checked before zstd sees it: the same bytes, in memory, instead of unpacking the
      // stored backup to disk afterwards.
      RETURN_IF_ERROR(check.Feed(data));
      RETURN_IF_ERROR(zstd->Write(data).Annotate("zstd stopped reading"));
      bytes += data.size();
      const auto now = env_.clock.Now();
      if (o_.on_progress && now - last >= o_.progress_interval) {
        last = now;
        o_.on_progress(ProgressLine(bytes, estimate, now - t0));
      }
      return Status::Ok();
    });
    if (st.ok()) st = check.Finish();
    if (!st.ok()) {
      zstd->Kill();
      return st;
    }
    const ProcessResult done = zstd->Finish();
    if (!done.ok())
      return Internal("zstd | tee | zstd -t failed (exit {}); see {}/zstd.log", done.exit_code,
                      work_);
    ASSIGN_OR_RETURN(m_.gtid, GtidOf(check));
    m_.stream_bytes = bytes;
    if (o_.on_progress) o_.on_progress(ProgressLine(bytes, bytes, env_.clock.Now() - t0));
    return Status::Ok();
  }

  static Result<std::string> GtidOf(const XbstreamCheck& check) {
    for (const char* name : kBinlogInfoFiles) {
      const std::string text = check.Contents(name);
      if (!text.empty()) return GtidOfBinlogInfo(text, fmt::format("the stream's {}", name));
    }
    return FailedPrecondition(
        "the stream has no binlog position (mariadb_backup_binlog_info): is the source's binary "
        "log on?");
  }

  std::string ProgressLine(uint64_t bytes, uint64_t estimate,
                           std::chrono::steady_clock::duration elapsed) const {
    const double secs = std::chrono::duration<double>(elapsed).count();
    const double rate = secs > 0 ? bytes / secs : 0;
    std::string eta = "ETA unknown";
    if (estimate > bytes && rate > 0) eta = fmt::format("ETA {:.0f} s", (estimate - bytes) / rate);
    if (estimate <= bytes) eta = "done";
    return fmt::format("{}: {} of ~{}, {}/s, {}", o_.source.name, HumanBytes(bytes),
                       HumanBytes(estimate > bytes ? estimate : bytes),
                       HumanBytes(static_cast<uint64_t>(rate)), eta);
  }

  // Upload, then verify what the repository holds, before anything names it.
  Status StoreAndVerify() {
    ASSIGN_OR_RETURN(const FileDigest local, DigestFile(local_object_));
    const std::string& sha = local.sha256;
    const std::string key = formats::BackupKey(m_.id, formats::kXbstreamObject);
    RETURN_IF_ERROR(env_.repo.PutFile(local_object_, key).Annotate("upload"));
    ASSIGN_OR_RETURN(const std::string stored, env_.repo.Sha256Of(key));
    if (stored != sha) {
      return DataLoss("{} in {} reads back with SHA-256 {}, not the {} uploaded", key,
                      env_.repo.Describe(), stored, sha);
    }
    m_.objects.push_back({formats::kXbstreamObject, local.bytes, sha});
    return Status::Ok();
  }

  BackupRunEnv& env_;
  const BackupRunOptions& o_;
  formats::BackupManifest m_;
  std::string work_;
  std::string local_object_;
  int64_t started_at_ms_ = 0;
};

}  // namespace

Result<formats::BackupManifest> RunBackup(BackupRunEnv& env, const BackupRunOptions& options) {
  return Run(env, options).Go();
}

}  // namespace mysqlset::backup
