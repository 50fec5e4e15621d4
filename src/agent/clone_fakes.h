#pragma once
// Stateful fakes of the clone receiver's I/O (clone_io.h) for unit tests: donors that answer
// as scripted, an extractor that unpacks into the in-memory file system, a file system that
// records the order of its writes and renames and can fail one rename, and a clock that
// records the delays slept. Test-only.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/clone_receiver.h"
#include "testing/fakes.h"

namespace mysqlset {

// Peers' /v1/status by ordinal; an ordinal not in the map does not answer.
class FakePeers : public PeerStatusReader {
 public:
  std::optional<PeerStatus> Read(const MemberAddress& peer) override;
  std::map<uint32_t, PeerStatus> statuses;
  int reads = 0;
  // >= 0: every peer turns ready once this many reads were answered (a donor that becomes
  // ready while a replica waits).
  int ready_after_reads = -1;
};

// What one donor does when dialed.
struct DonorScript {
  Status connect = Status::Ok();  // an error: Connect fails with it
  net::BackupHello hello;
  std::vector<std::string> chunks;  // payload, delivered in order
  Status end = Status::Ok();        // returned after the chunks (a bad trailer: kDataLoss)
  int fail_after_chunks = -1;       // >= 0: returns `end` after this many chunks instead
};

// Donors by host. A host with no script is unreachable (kUnavailable).
class FakeDialer : public BackupDialer {
 public:
  Result<std::unique_ptr<BackupStream>> Connect(const net::BackupClientOptions& options) override;
  std::map<std::string, DonorScript> donors;
  std::vector<net::BackupClientOptions> calls;
};

// A stand-in for `mbstream -x -C DIR`: keeps what it is fed; on a clean finish with exit 0
// writes `files` into DIR; with another exit code appends `log_text` to its log.
class FakePipes : public PipedProcessStarter {
 public:
  explicit FakePipes(FileSystem& fs) : fs_(fs) {}
  Result<std::unique_ptr<PipedProcess>> Start(const std::vector<std::string>& argv,
                                              const std::string& log_file) override;

  // Behaviour of the processes started.
  Status start = Status::Ok();
  std::map<std::string, std::string> files;  // name under DIR -> contents
  int exit_code = 0;
  std::string log_text = "mbstream: unexpected end of stream";
  size_t stops_reading_after = SIZE_MAX;  // bytes; Write fails once more would be taken

  // What happened, per process started.
  struct Run {
    std::vector<std::string> argv;
    std::string log_file;
    std::string received;
    bool finished = false;
    bool killed = false;
  };
  std::vector<Run> runs;

 private:
  FileSystem& fs_;
};

// Runs nothing: returns `results` in order (then exit 0) and records each call. A call with
// an output file gets `log_text[argv[0]]` appended to it, when there is one.
class FakeRunner : public ProcessRunner {
 public:
  explicit FakeRunner(FileSystem& fs) : fs_(fs) {}
  Result<ProcessResult> Run(const ProcessSpec& spec) override;
  std::deque<ProcessResult> results;
  std::map<std::string, std::string> log_text;
  std::function<void(const ProcessSpec&)> on_run;  // called first, when set
  std::vector<ProcessSpec> calls;

 private:
  FileSystem& fs_;
};

// What the rollback pass (tools::RollbackPreparedArgv) logs when it did its work.
inline constexpr const char* kRollbackPassLog =
    "[Note] Heuristic crash recovery mode\n"
    "[Note] Please restart without --tc-heuristic-recover\n"
    "[ERROR] Aborting\n";

class FakeDiskSpace : public DiskSpace {
 public:
  std::optional<uint64_t> FreeBytes(const std::string&) const override { return free; }
  std::optional<uint64_t> free;  // nullopt: cannot be told
};

// MemFileSystem that logs "write PATH", "rename FROM -> TO", "remove PATH" in order, and
// fails the rename to `fail_rename_to` or the write of `fail_write_of`.
class RecordingFileSystem : public MemFileSystem {
 public:
  Status WriteFileAtomic(const std::string& path, const std::string& contents,
                         mode_t mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RemoveAll(const std::string& path) override;
  std::vector<std::string> ops;
  std::string fail_rename_to;
  std::string fail_write_of;
};

class RecordingClock : public FakeClock {
 public:
  void SleepFor(std::chrono::milliseconds d) override {
    sleeps.push_back(d);
    FakeClock::SleepFor(d);
  }
  std::vector<std::chrono::milliseconds> sleeps;
};

// One of each fake, wired into a CloneEnv.
struct FakeCloneEnv {
  RecordingFileSystem fs;
  RecordingClock clock;
  FakePeers peers;
  FakeDialer dialer;
  FakePipes pipes{fs};
  FakeRunner runner{fs};
  FakeDiskSpace disk;
  CloneEnv env{fs, clock, peers, dialer, pipes, runner, disk};
  // The rollback pass succeeds unless a test says otherwise.
  FakeCloneEnv() { runner.log_text["mariadbd"] = kRollbackPassLog; }
};

}  // namespace mysqlset
