#include "agent/backup_source.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "common/logging.h"
#include "core/accounts.h"
#include "mariadb/tools.h"
#include "posix/pipe.h"
#include "posix/subprocess.h"
#include "posix/tail_file.h"

namespace mysqlset {
namespace {

// A private 0700 temp dir, removed with everything in it on destruction.
class PrivateTempDir {
 public:
  static Result<PrivateTempDir> Make(const std::string& parent) {
    std::string base = parent;
    if (base.empty()) base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    std::string tmpl = base + "/mysqlset-backup-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      return Internal("create a private temp dir in {}: {}", base, std::strerror(errno));
    }
    return PrivateTempDir(tmpl);
  }
  PrivateTempDir(PrivateTempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~PrivateTempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit PrivateTempDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

Status WritePrivateFile(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("create {}: {}", path, std::strerror(errno));
  Status st = WriteAll(fd, text);
  close(fd);
  return st;
}

}  // namespace

std::string TailLines(const std::string& text, size_t n, const std::vector<std::string>& secrets) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
  }
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    if (!out.empty()) out += " | ";
    out += lines[i];
  }
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    for (size_t p = out.find(s); p != std::string::npos; p = out.find(s, p + 3)) {
      out.replace(p, s.size(), "***");
    }
  }
  return out;
}

// Files mariabackup does not stream (the redo log is re-created, binary and relay logs
// stay with the donor), so the ETA is not inflated by them.
static bool NotStreamed(const std::string& name) {
  if (name.starts_with("ib_logfile") || name == "ibtmp1" || name.ends_with(".err")) return true;
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  const std::string stem = name.substr(0, dot);
  return stem.ends_with("-bin") || stem.starts_with("relay-bin") || stem.ends_with("-relay-bin");
}

uint64_t BackupSource::EstimateBytes() {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           options_.datadir, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2) && !NotStreamed(it->path().filename().string())) {
      total += it->file_size(ec2);
    }
  }
  return total;
}

std::string BackupSource::OptionFileText(const BackupSourceOptions& options) {
  return tools::BackupOptionFile(kBackupUser, options.backup_password, options.mysql_port);
}

std::vector<std::string> BackupSource::BackupArgv(const BackupSourceOptions& options,
                                                  const std::string& option_file,
                                                  const std::string& target_dir) {
  return tools::StreamBackupArgv(
      {option_file, target_dir, options.datadir, options.mysql_port, kBackupUser});
}

Status BackupSource::Produce(const std::function<bool(std::string_view)>& send,
                             const std::function<bool()>& client_gone) {
  ASSIGN_OR_RETURN(PrivateTempDir tmp, PrivateTempDir::Make(options_.tmp_dir));
  const std::string option_file = tmp.path() + "/backup.cnf";
  const std::string target = tmp.path() + "/target";
  const std::string log = fmt::format("{}/{}.log", tmp.path(), tools::kMariabackup);
  RETURN_IF_ERROR(WritePrivateFile(option_file, OptionFileText(options_)));
  std::filesystem::create_directory(target);

  int out[2];
  RETURN_IF_ERROR(MakePipe(out));
  Fd read_end(out[0]);
  Fd write_end(out[1]);
  EnlargePipe(write_end.get());  // mariabackup runs ahead of the TLS relay by up to 1 MiB
  Fd log_fd(open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!log_fd.valid()) return Internal("create {}: {}", log, std::strerror(errno));
  ASSIGN_OR_RETURN(Subprocess child, Subprocess::Spawn(BackupArgv(options_, option_file, target),
                                                       {-1, write_end.get(), log_fd.get()}));
  write_end.Reset();  // our copy; EOF arrives when mariabackup exits
  log_fd.Reset();

  bool aborted = false;
  std::string buf(kBulkPipeBytes, '\0');  // a full pipe in one read, sent as one frame
  while (true) {
    if (client_gone()) {
      aborted = true;
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int r = poll(&p, 1, 500);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;
    const ssize_t n = read(read_end.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF (or error): mariabackup is done; its exit status decides
    if (!send(std::string_view(buf.data(), static_cast<size_t>(n)))) {
      aborted = true;
      break;
    }
  }
  if (aborted) {
    // The receiver is gone: stop copying for no one. Kill the whole group.
    child.Kill(SIGKILL);
    child.Wait();
    return Unavailable("the receiver disconnected; {} stopped", tools::kMariabackup);
  }
  read_end.Reset();
  int sig = 0;
  const int code = child.Wait(&sig);
  if (code == 0) return Status::Ok();
  const std::string tail = TailLines(TailFile(log, 16384), 5, options_.secret_values);
  if (code < 0) return Internal("{} was killed by signal {}: {}", tools::kMariabackup, sig, tail);
  return Internal("{} exited with code {}: {}", tools::kMariabackup, code, tail);
}

}  // namespace mysqlset
