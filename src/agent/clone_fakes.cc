#include "agent/clone_fakes.h"

#include <algorithm>

namespace mysqlset {
namespace {

class FakeStream : public BackupStream {
 public:
  explicit FakeStream(DonorScript script) : s_(std::move(script)) {}
  const net::BackupHello& hello() const override { return s_.hello; }
  Status Receive(const std::function<Status(std::string_view)>& on_data) override {
    for (size_t i = 0; i < s_.chunks.size(); ++i) {
      if (s_.fail_after_chunks >= 0 && i == static_cast<size_t>(s_.fail_after_chunks)) {
        return s_.end;
      }
      RETURN_IF_ERROR(on_data(s_.chunks[i]));
    }
    return s_.end;
  }

 private:
  DonorScript s_;
};

class FakePipedProcess : public PipedProcess {
 public:
  FakePipedProcess(FakePipes& pipes, size_t run, FileSystem& fs)
      : pipes_(pipes), run_(run), fs_(fs) {}
  Status Write(std::string_view data) override {
    FakePipes::Run& r = pipes_.runs[run_];
    if (r.received.size() + data.size() > pipes_.stops_reading_after) {
      return Unavailable("write to pipe: Broken pipe");
    }
    r.received += data;
    return Status::Ok();
  }
  ProcessResult Finish() override {
    FakePipes::Run& r = pipes_.runs[run_];
    r.finished = true;
    if (pipes_.exit_code != 0) {
      auto log = fs_.ReadFile(r.log_file);
      (void)fs_.WriteFileAtomic(r.log_file, (log.ok() ? *log : "") + pipes_.log_text + "\n", 0640);
      return ProcessResult{pipes_.exit_code, 0, ""};
    }
    const auto c = std::find(r.argv.begin(), r.argv.end(), "-C");
    const std::string dir = c != r.argv.end() && c + 1 != r.argv.end() ? *(c + 1) : ".";
    for (const auto& [name, contents] : pipes_.files) {
      (void)fs_.WriteFileAtomic(dir + "/" + name, contents, 0640);
    }
    return ProcessResult{0, 0, ""};
  }
  void Kill() override { pipes_.runs[run_].killed = true; }

 private:
  FakePipes& pipes_;
  size_t run_;
  FileSystem& fs_;
};

}  // namespace

std::optional<PeerStatus> FakePeers::Read(const MemberAddress& peer) {
  if (ready_after_reads >= 0 && reads >= ready_after_reads) {
    for (auto& [ordinal, s] : statuses) s.ready = true;
  }
  ++reads;
  auto it = statuses.find(peer.ordinal);
  if (it == statuses.end()) return std::nullopt;
  return it->second;
}

Result<std::unique_ptr<BackupStream>> FakeDialer::Connect(const net::BackupClientOptions& options) {
  calls.push_back(options);
  auto it = donors.find(options.host);
  if (it == donors.end()) return Unavailable("connect {}:{}: refused", options.host, options.port);
  if (!it->second.connect.ok()) return it->second.connect;
  return std::unique_ptr<BackupStream>(std::make_unique<FakeStream>(it->second));
}

Result<std::unique_ptr<PipedProcess>> FakePipes::Start(const std::vector<std::string>& argv,
                                                       const std::string& log_file) {
  if (!start.ok()) return start;
  runs.push_back(Run{argv, log_file, "", false, false});
  return std::unique_ptr<PipedProcess>(
      std::make_unique<FakePipedProcess>(*this, runs.size() - 1, fs_));
}

Result<ProcessResult> FakeRunner::Run(const ProcessSpec& spec) {
  calls.push_back(spec);
  if (on_run) on_run(spec);
  const auto text = spec.argv.empty() ? log_text.end() : log_text.find(spec.argv[0]);
  if (!spec.output_file.empty() && text != log_text.end()) {
    auto before = fs_.ReadFile(spec.output_file);
    RETURN_IF_ERROR(fs_.WriteFileAtomic(spec.output_file,
                                        (before.ok() ? *before : std::string()) + text->second));
  }
  if (results.empty()) return ProcessResult{0, 0, ""};
  ProcessResult r = results.front();
  results.pop_front();
  return r;
}

Status RecordingFileSystem::WriteFileAtomic(const std::string& path, const std::string& contents,
                                            mode_t mode) {
  if (path == fail_write_of) return Internal("write {}: Input/output error", path);
  ops.push_back("write " + path);
  return MemFileSystem::WriteFileAtomic(path, contents, mode);
}

Status RecordingFileSystem::Rename(const std::string& from, const std::string& to) {
  if (to == fail_rename_to) return Internal("rename {} to {}: Input/output error", from, to);
  ops.push_back("rename " + from + " -> " + to);
  return MemFileSystem::Rename(from, to);
}

Status RecordingFileSystem::RemoveAll(const std::string& path) {
  ops.push_back("remove " + path);
  return MemFileSystem::RemoveAll(path);
}

}  // namespace mysqlset
