#include "agent/clone_receiver.h"

#include <algorithm>
#include <charconv>

#include "agent/backup_source.h"
#include "agent/data_step.h"
#include "common/logging.h"
#include "core/data_state.h"
#include "core/gtid.h"
#include "core/mycnf.h"
#include "formats/clone_progress.h"
#include "formats/clone_record.h"
#include "mariadb/tools.h"
#include "net/backup_client.h"
#include "net/http_client.h"
#include "nlohmann/json.hpp"
#include "posix/pipe.h"
#include "posix/subprocess.h"

namespace mysqlset {
namespace {

using Ms = std::chrono::milliseconds;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Periodic progress: a log line every log_interval, a JSON file every progress_interval
// (the local supervisor draws a progress bar from it).
class Progress {
 public:
  Progress(FileSystem& fs, const Clock& clock, const CloneReceiverOptions& options,
           std::string donor, uint64_t estimated)
      : fs_(fs),
        clock_(clock),
        o_(options),
        donor_(std::move(donor)),
        estimated_(estimated),
        start_(clock.Now()),
        last_file_(start_),
        last_log_(start_) {}

  void Bytes(uint64_t bytes) {
    bytes_ = bytes;
    const auto now = clock_.Now();
    if (now - last_file_ >= o_.progress_interval) {
      last_file_ = now;
      Write("stream");
    }
    if (now - last_log_ >= o_.log_interval) {
      last_log_ = now;
      const double rate = Rate();
      const auto eta = Eta(rate);
      spdlog::info("clone from {}: {:.1f} MiB of ~{:.1f} MiB, {:.1f} MiB/s, ETA {}", donor_,
                   bytes_ / 1048576.0, estimated_ / 1048576.0, rate / 1048576.0,
                   eta ? fmt::format("{:.0f}s", *eta) : std::string("unknown"));
    }
  }
  void Write(const char* phase) {
    const double rate = Rate();
    const auto eta = Eta(rate);
    const formats::CloneProgress p{donor_, phase, bytes_, estimated_, rate, eta};
    // Progress is advisory: a failed write must not fail the clone.
    (void)fs_.WriteFileAtomic(formats::CloneProgressPath(o_.data_dir), formats::ToJson(p), 0644);
  }
  double Elapsed() const { return Seconds(clock_.Now() - start_); }

 private:
  double Rate() const {
    const double s = Elapsed();
    return s > 0 ? bytes_ / s : 0.0;
  }
  std::optional<double> Eta(double rate) const {
    if (rate <= 0) return std::nullopt;
    if (bytes_ >= estimated_) return 0.0;
    return (estimated_ - bytes_) / rate;
  }

  FileSystem& fs_;
  const Clock& clock_;
  const CloneReceiverOptions& o_;
  std::string donor_;
  uint64_t estimated_;
  uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point start_, last_file_, last_log_;
};

std::string LogTail(const FileSystem& fs, const std::string& path) {
  return TailLines(fs.ReadTail(path, 16384), 5, {});
}

// A failed stream or prepare usually says only "broken pipe" or "exit 1" (mbstream's own
// "No space left on device" goes to a log on the same full disk). When the data volume is
// (nearly) full, say so.
// Free-space pressure is reported, never solved by deleting: the kept datadirs in the
// volume are named so a person can decide whether to remove them.
std::string KeptSpaceNote(const FileSystem& fs, const std::string& data_dir) {
  const auto kept = ListKeptDatadirs(fs, data_dir);
  if (kept.empty()) return "";
  return " (" + DescribeKeptDatadirs(kept) +
         "; mysqlset never deletes them: remove those you no longer need yourself)";
}

// One attempt: receives one backup from `donor` into staging and installs it. The steps run
// in the order below; any error ends the attempt, and CloneReplica removes staging.
class CloneAttempt {
 public:
  CloneAttempt(CloneEnv& env, const CloneReceiverOptions& options, const DonorEndpoint& donor)
      : env_(env),
        o_(options),
        donor_(donor),
        staging_(StagingPathOf(options.data_dir)),
        log_(CloneLogPathOf(options.data_dir)) {}

  Result<formats::CloneRecord> Run(const Secrets& secrets) {
    const auto t_start = env_.clock.Now();
    RETURN_IF_ERROR(MakeStaging());
    ASSIGN_OR_RETURN(std::unique_ptr<BackupStream> stream, Connect(secrets));
    const auto t_connected = env_.clock.Now();
    const net::BackupHello hello = stream->hello();
    spdlog::info("{}: cloning from {} ({}:{}), about {:.1f} MiB", o_.self.pod_name, hello.donor_pod,
                 donor_.host, donor_.port, hello.estimated_bytes / 1048576.0);
    RETURN_IF_ERROR(CheckSpace(hello));
    Progress progress(env_.fs, env_.clock, o_, hello.donor_pod, hello.estimated_bytes);
    RETURN_IF_ERROR(Extract(*stream, progress));
    const auto t_extracted = env_.clock.Now();
    const double stream_secs = progress.Elapsed();
    spdlog::info("{}: received {:.1f} MiB from {} in {:.1f}s ({:.1f} MiB/s), verified; preparing",
                 o_.self.pod_name, bytes_ / 1048576.0, hello.donor_pod, stream_secs,
                 stream_secs > 0 ? bytes_ / 1048576.0 / stream_secs : 0.0);
    progress.Write("prepare");
    ASSIGN_OR_RETURN(std::string gtid, Prepare());
    const auto t_prepared = env_.clock.Now();
    RETURN_IF_ERROR(RollBackPrepared());  // still the "prepare" phase of the progress file
    const auto t_rolled_back = env_.clock.Now();
    progress.Write("install");
    auto record = Install(hello, gtid, progress);
    if (record.ok()) {
      // Where the time went (docs/benchmarks.md "Clone profile"): mbstream's exit after the
      // trailer is inside "stream"; "tail" is the wait for it alone.
      spdlog::info(
          "{}: clone phases: connect {:.3f}s, stream {:.3f}s (mbstream tail {:.3f}s), prepare "
          "{:.3f}s, rollback pass {:.3f}s, install {:.3f}s",
          o_.self.pod_name, Seconds(t_connected - t_start), Seconds(t_extracted - t_connected),
          Seconds(t_extracted - stream_end_), Seconds(t_prepared - t_extracted),
          Seconds(t_rolled_back - t_prepared), Seconds(env_.clock.Now() - t_rolled_back));
    }
    return record;
  }

 private:
  Status MakeStaging() {
    RETURN_IF_ERROR(env_.fs.RemoveAll(staging_));
    return env_.fs.MakeDirs(staging_, 0750);
  }

  Result<std::unique_ptr<BackupStream>> Connect(const Secrets& secrets) {
    net::BackupClientOptions co;
    co.host = donor_.host;
    co.port = donor_.port;
    co.token = secrets.backup_token;
    co.idle_timeout = o_.idle_timeout;
    return env_.dialer.Connect(co);
  }

  Status CheckSpace(const net::BackupHello& hello) {
    const uint64_t needed = CloneSpaceNeeded(hello.estimated_bytes, o_.redo_log_bytes);
    const auto free = env_.disk.FreeBytes(staging_);
    if (!free || *free >= needed) return Status::Ok();
    return ResourceExhausted(
        "not enough space in {}: {:.1f} MiB free, the backup from {} is "
        "about {:.1f} MiB and the redo log (innodb_log_file_size) {:.1f} "
        "MiB; free or enlarge the data volume{}",
        o_.data_dir, *free / 1048576.0, hello.donor_pod, hello.estimated_bytes / 1048576.0,
        o_.redo_log_bytes / 1048576.0, KeptSpaceNote(env_.fs, o_.data_dir));
  }

  // The payload goes straight into mbstream as it arrives, never buffered whole.
  Status Extract(BackupStream& stream, Progress& progress) {
    ASSIGN_OR_RETURN(std::unique_ptr<PipedProcess> mbstream,
                     env_.pipes.Start(tools::ExtractStreamArgv(staging_), log_));
    progress.Write("stream");
    Status st = stream.Receive([&](std::string_view data) -> Status {
      Status w = mbstream->Write(data);
      if (!w.ok()) return DataLoss("{} stopped reading: {}", tools::kMbstream, w.message());
      bytes_ += data.size();
      progress.Bytes(bytes_);
      return Status::Ok();
    });
    if (!st.ok()) {
      mbstream->Kill();
      return WithFullDiskHint(st);
    }
    stream_end_ = env_.clock.Now();
    const ProcessResult r = mbstream->Finish();
    if (r.ok()) return Status::Ok();
    return WithFullDiskHint(DataLoss("{} failed (exit {}, signal {}): {}", tools::kMbstream,
                                     r.exit_code, r.term_signal, LogTail(env_.fs, log_)));
  }

  // mariabackup --prepare; returns the backup's GTID position.
  Result<std::string> Prepare() {
    ProcessSpec prepare;
    prepare.argv = tools::PrepareBackupArgv(staging_, o_.use_memory);
    prepare.output_file = log_;
    ASSIGN_OR_RETURN(ProcessResult pr, env_.runner.Run(prepare));
    if (!pr.ok()) {
      return WithFullDiskHint(Internal("{} --prepare failed (exit {}, signal {}): {}",
                                       tools::kMariabackup, pr.exit_code, pr.term_signal,
                                       LogTail(env_.fs, log_)));
    }
    return ReadBackupGtid(env_.fs, staging_);
  }

  // A backup from a replica that applies in parallel can hold a transaction InnoDB prepared
  // but the binary log never got (tools::RollbackPreparedArgv): the member's mariadbd would
  // refuse to start on it, and with the marker written nothing would clone it again. One
  // throwaway mariadbd pass rolls such transactions back (replication from the clone's GTID
  // brings them again); on a backup without any it only starts and stops InnoDB.
  Status RollBackPrepared() {
    // The member's own tmpdir, emptied again before its mariadbd starts (clone_step.h). The
    // socket path is no longer than the member's (DATA/mysqld.sock), so it fits whenever
    // that one does (107 bytes).
    const std::string tmpdir = TmpdirOf(o_.data_dir);
    RETURN_IF_ERROR(env_.fs.MakeDirs(tmpdir, 0700));
    // The clone log holds earlier steps and attempts: only what this pass appends counts.
    const auto log_size = env_.fs.TreeBytes(log_);
    const uint64_t logged_before = log_size.ok() ? *log_size : 0;
    ProcessSpec pass;
    pass.argv = tools::RollbackPreparedArgv(staging_, tmpdir + "/r.sock", tmpdir, o_.run_as_root,
                                            o_.redo_log_bytes);
    pass.output_file = log_;
    pass.timeout = std::chrono::hours(1);  // as restore's: rolling back a large one takes time
    auto ran = env_.runner.Run(pass);
    if (!ran.ok()) return ran.status().Annotate("the clone's rollback pass");
    const ProcessResult& r = *ran;
    auto log = env_.fs.ReadFile(log_);
    const std::string said =
        log.ok() && log->size() >= logged_before ? log->substr(logged_before) : std::string();
    if (!tools::RollbackPreparedSucceeded(said)) {
      return WithFullDiskHint(Internal(
          "rolling back the transactions the backup left prepared failed ({} --tc-heuristic-"
          "recover=ROLLBACK exit {}, signal {}); see {}",
          tools::kMariadbd, r.exit_code, r.term_signal, log_));
    }
    return RemovePassLeftovers();
  }

  // The pass ran with the binary log on (the heuristic recovery needs it) and began one
  // (mysql-bin.000001, .index, .state): the member's mariadbd must start with none, at the
  // GTID of the clone record, as before. Its buffer pool dump goes too: the backup has none,
  // and the member would warm up from a throwaway server's pages.
  Status RemovePassLeftovers() {
    ASSIGN_OR_RETURN(const std::vector<std::string> names, env_.fs.ListDir(staging_));
    const std::string binlog = std::string(tools::kRestoreServerBinlog) + ".";
    for (const std::string& name : names) {
      if (name.starts_with(binlog) || name == tools::kBufferPoolDump) {
        RETURN_IF_ERROR(env_.fs.RemoveAll(staging_ + "/" + name));
      }
    }
    return Status::Ok();
  }

  // The clone record, then the datadir by one rename and the marker last (InstallDatadir).
  Result<formats::CloneRecord> Install(const net::BackupHello& hello, const std::string& gtid,
                                       Progress& progress) {
    FileSystem& fs = env_.fs;
    const Clock& clock = env_.clock;
    const CloneReceiverOptions& o = o_;
    const DonorEndpoint& donor = donor_;
    const uint64_t bytes = bytes_;
    formats::CloneRecord result{hello.donor_pod,
                                fmt::format("{}:{}", donor.host, donor.port),
                                gtid,
                                bytes,
                                progress.Elapsed(),
                                clock.UnixSeconds()};
    RETURN_IF_ERROR(
        fs.WriteFileAtomic(formats::CloneRecordPath(o.data_dir), formats::ToJson(result), 0644));
    RETURN_IF_ERROR(InstallDatadir(
        fs, clock, staging_, o.data_dir, "clone",
        fmt::format("from {} at GTID {}", result.donor, gtid.empty() ? "(empty)" : gtid)));
    return result;
  }

  Status WithFullDiskHint(Status st) const {
    constexpr uint64_t kNearlyFull = 4u << 20;
    const auto free = env_.disk.FreeBytes(o_.data_dir);
    if (st.ok() || !free || *free >= kNearlyFull) return st;
    return ResourceExhausted(
        "no space left on device in {} ({:.1f} MiB free after {:.1f} MiB "
        "received); free or enlarge the data volume{}: {}",
        o_.data_dir, *free / 1048576.0, bytes_ / 1048576.0, KeptSpaceNote(env_.fs, o_.data_dir),
        st.message());
  }

  CloneEnv& env_;
  const CloneReceiverOptions& o_;
  const DonorEndpoint& donor_;
  const std::string staging_;
  const std::string log_;
  uint64_t bytes_ = 0;                                  // received so far
  std::chrono::steady_clock::time_point stream_end_{};  // the trailer verified
};

// The donors to try this attempt, best first.
std::vector<DonorEndpoint> Candidates(PeerStatusReader& peers, const CloneReceiverOptions& options,
                                      std::string* why_none) {
  if (!options.donors.empty()) return options.donors;
  std::vector<std::optional<PeerStatus>> statuses;
  const uint32_t self = options.self.ordinal;
  const uint32_t end = self > 0 ? self : options.peers_to_ask + 1;
  for (uint32_t i = 0; i < end; ++i) {
    statuses.push_back(i == self ? std::nullopt
                                 : peers.Read(AddressOf(options.layout, options.self.set_name, i)));
  }
  std::vector<DonorEndpoint> out;
  for (uint32_t ord : RankDonors(options.self.ordinal, statuses, options.self.pod_name)) {
    const MemberAddress a = AddressOf(options.layout, options.self.set_name, ord);
    out.push_back({a.pod_name, a.host, a.backup_port});
  }
  if (out.empty()) {
    *why_none = fmt::format("no ready donor among {}..{} (peers answered, none is ready)",
                            PodName(options.self.set_name, self > 0 ? 0 : 1),
                            PodName(options.self.set_name, end - 1));
  }
  return out;
}

// `no_donor`: the last attempt found no ready donor; with options.donor_poll the wait ends
// early once a peer is ready (the attempt asks again anyway). Never longer than the backoff.
void WaitBeforeRetry(CloneEnv& env, const CloneReceiverOptions& options, int attempt,
                     bool no_donor) {
  const Ms delay = options.backoff.DelayFor(attempt - 1);
  spdlog::info("{}: retrying in {} ms (attempt {}/{})", options.self.pod_name, delay.count(),
               attempt + 1, options.max_attempts);
  if (!no_donor || options.donor_poll <= Ms(0)) {
    env.clock.SleepFor(delay);
    return;
  }
  std::string why_none;
  for (Ms waited(0); waited < delay;) {
    const Ms step = std::min(options.donor_poll, delay - waited);
    env.clock.SleepFor(step);
    waited += step;
    if (waited < delay && !Candidates(env.peers, options, &why_none).empty()) return;
  }
}

// Nothing of a failed attempt stays: no staging for the next run to trip over, no progress
// file showing a stream that is gone.
void CleanUpFailedAttempt(FileSystem& fs, const CloneReceiverOptions& options) {
  (void)fs.RemoveAll(StagingPathOf(options.data_dir));
  (void)fs.RemoveAll(formats::CloneProgressPath(options.data_dir));
}

}  // namespace

std::string CloneLogPathOf(const std::string& d) { return d + "/.mysqlset-clone.log"; }

Result<DonorEndpoint> ParseDonorEndpoint(const std::string& text) {
  std::string host;
  std::string port_text;
  if (text.starts_with("[")) {
    const size_t close = text.find("]:");
    if (close == std::string::npos) return InvalidArgument("--donor '{}': want [V6]:PORT", text);
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return InvalidArgument("--donor '{}': want HOST:PORT (the donor's backup port)", text);
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    return InvalidArgument("--donor '{}': port must be 1..65535", text);
  }
  return DonorEndpoint{text, host, static_cast<uint16_t>(port)};
}

PeerStatus PeerStatusOf(const formats::AgentStatus& status) {
  // A replica ready only on the stale-read rule (its primary unreachable) is no donor: it may
  // lack what the lost primary acknowledged, and a lost primary volume cloned from it would
  // lead again without those writes; waiting for the primary (or its volume) loses nothing.
  // So too one ready only while it waits for a cold start's election (core/readiness.h): its
  // data may lack what the last leader, not back yet, holds.
  const bool ready = status.ready && status.stale_reads.empty() && status.decision != "wait" &&
                     status.decision != "campaign";
  return {status.ordinal,     status.role == "primary", ready,
          status.lag_seconds, status.gtid_current,      status.leader};
}

std::optional<PeerStatus> HttpPeerStatusReader::Read(const MemberAddress& peer) {
  auto reply = net::HttpGet(peer.host, peer.agent_port, "/v1/status", Ms(2000));
  if (!reply.ok() || reply->status != 200) {
    spdlog::debug("status of {}: {}", peer.pod_name,
                  reply.ok() ? fmt::format("HTTP {}", reply->status) : reply.status().message());
    return std::nullopt;
  }
  auto s = formats::FromJson<formats::AgentStatus>(reply->body);
  if (!s.ok()) {
    spdlog::warn("status of {}: {}", peer.pod_name, s.status().message());
    return std::nullopt;
  }
  return PeerStatusOf(*s);
}

Result<std::string> GtidOfBinlogInfo(const std::string& text, const std::string& what) {
  std::string line = text.substr(0, text.find('\n'));
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  if (fields.size() < 2) return DataLoss("{}: malformed binlog position", what);
  const std::string gtid = fields.size() >= 3 ? fields[2] : "";
  auto parsed = GtidList::Parse(gtid);
  if (!parsed.ok()) return parsed.status().Annotate(what);
  return parsed->ToString();
}

Result<std::string> ReadBackupGtid(const FileSystem& fs, const std::string& dir) {
  for (const char* name : kBinlogInfoFiles) {
    auto text = fs.ReadFile(dir + "/" + name);
    if (!text.ok()) continue;
    return GtidOfBinlogInfo(*text, fmt::format("{}/{}", dir, name));
  }
  return FailedPrecondition(
      "{} has no binlog position (mariadb_backup_binlog_info): is the donor's binary log on?", dir);
}

Result<formats::CloneRecord> CloneReplica(CloneEnv& env, const CloneReceiverOptions& options,
                                          const Secrets& secrets) {
  CHECK(options.max_attempts >= 1);
  IgnoreSigpipe();  // a dead mbstream must be an error, not a silent exit
  Status last = Unavailable("no attempt made");
  std::string last_donor = "(none)";
  int attempts = 0;
  bool no_donor = false;  // the last attempt found no ready donor
  for (int attempt = 0; attempt < options.max_attempts; ++attempt) {
    if (attempt > 0) WaitBeforeRetry(env, options, attempt, no_donor);
    ++attempts;
    std::string why_none;
    const std::vector<DonorEndpoint> candidates = Candidates(env.peers, options, &why_none);
    no_donor = candidates.empty();
    if (candidates.empty()) {
      last = Unavailable("{}", why_none);
      spdlog::warn("{}: {}", options.self.pod_name, why_none);
      continue;
    }
    // Each retry moves on to the next candidate: a donor that failed is not asked twice in
    // a row.
    const DonorEndpoint& donor = candidates[static_cast<size_t>(attempt) % candidates.size()];
    last_donor = donor.name;
    auto r = CloneAttempt(env, options, donor).Run(secrets);
    if (r.ok()) {
      (void)env.fs.RemoveAll(formats::CloneProgressPath(options.data_dir));
      spdlog::info("{}: clone from {} complete at GTID {} ({:.1f} MiB in {:.1f}s)",
                   options.self.pod_name, r->donor, r->gtid.empty() ? "(empty)" : r->gtid,
                   r->bytes / 1048576.0, r->seconds);
      return r;
    }
    last = r.status();
    CleanUpFailedAttempt(env.fs, options);
    spdlog::warn("{}: clone attempt {}/{} from {} failed: {}", options.self.pod_name, attempt + 1,
                 options.max_attempts, donor.name, last.message());
    if (last.code() == StatusCode::kPermissionDenied) break;  // every peer shares the token
  }
  return last.Annotate(fmt::format("clone {} from {} (after {} attempt(s))", options.self.pod_name,
                                   last_donor, attempts));
}

}  // namespace mysqlset
