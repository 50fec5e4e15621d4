#include "backup/repository.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "core/repository_spec.h"
#include "fmt/format.h"
#include "net/backup_protocol.h"

namespace mysqlset::backup {
namespace {

std::string Parent(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// One line of a tool's output for an error message.
std::string LastLine(const std::string& output) {
  std::string s = output;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  const auto nl = s.rfind('\n');
  return net::OneLine(nl == std::string::npos ? s : s.substr(nl + 1));
}

class DirRepository : public Repository {
 public:
  DirRepository(std::string root, FileSystem& fs) : root_(std::move(root)), fs_(fs) {}

  std::string Describe() const override { return root_; }
  std::string ScratchDir() const override { return root_ + "/.incoming"; }

  Status PutFile(const std::string& local_path, const std::string& key) override {
    const std::string to = Path(key);
    RETURN_IF_ERROR(fs_.MakeDirs(Parent(to), 0750));
    // Same file system (ScratchDir): a rename. fsync the data first, so a crash after the
    // manifest is published never leaves it naming a file the disk lost.
    if (FILE* f = std::fopen(local_path.c_str(), "rb+")) {
      fsync(fileno(f));
      std::fclose(f);
    }
    ::chmod(local_path.c_str(), 0640);  // the whole database: not for others to read
    return fs_.Rename(local_path, to).Annotate(fmt::format("store {} in {}", key, root_));
  }

  Status PutText(const std::string& key, const std::string& text) override {
    const std::string to = Path(key);
    RETURN_IF_ERROR(fs_.MakeDirs(Parent(to), 0750));
    return fs_.WriteFileAtomic(to, text, 0640);
  }

  Result<std::string> GetText(const std::string& key) override {
    const std::string path = Path(key);
    if (!fs_.Exists(path)) return NotFound("{} has no {}", root_, key);
    return fs_.ReadFile(path);
  }

  Result<std::string> Fetch(const std::string& key, const std::string&) override {
    const std::string path = Path(key);
    if (!fs_.Exists(path)) return NotFound("{} has no {}", root_, key);
    return path;
  }

  Result<std::string> Sha256Of(const std::string& key) override {
    ASSIGN_OR_RETURN(FileDigest d, DigestFile(Path(key)));
    return d.sha256;
  }

  Status Remove(const std::string& key) override { return fs_.RemoveAll(Path(key)); }
  Status RemoveFolder(const std::string& prefix) override { return fs_.RemoveAll(Path(prefix)); }

  Result<std::vector<std::string>> ListFolders(const std::string& prefix) override {
    const std::string dir = Path(prefix);
    if (!fs_.IsDirectory(dir)) return std::vector<std::string>{};
    ASSIGN_OR_RETURN(auto names, fs_.ListDir(dir));
    std::vector<std::string> out;
    for (auto& n : names) {
      if (fs_.IsDirectory(dir + "/" + n)) out.push_back(std::move(n));
    }
    return out;
  }

 private:
  std::string Path(const std::string& key) const { return root_ + "/" + key; }
  std::string root_;
  FileSystem& fs_;
};

// Runs Debian's rclone. Remotes and their credentials come from rclone's config file
// (RCLONE_CONFIG or ~/.config/rclone/rclone.conf), never from our command line.
class RcloneRepository : public Repository {
 public:
  RcloneRepository(std::string remote, FileSystem& fs, ProcessRunner& runner)
      : remote_(std::move(remote)), fs_(fs), runner_(runner) {
    const char* tmp = std::getenv("TMPDIR");
    scratch_ = fmt::format("{}/mysqlset-backup-{}", tmp && *tmp ? tmp : "/tmp", getpid());
  }

  std::string Describe() const override { return RedactedRepositorySpec("rclone:" + remote_); }
  std::string ScratchDir() const override { return scratch_; }

  Status PutFile(const std::string& local_path, const std::string& key) override {
    RETURN_IF_ERROR(Rclone({"copyto", local_path, Target(key)}, "", nullptr));
    return fs_.RemoveAll(local_path);
  }

  Status PutText(const std::string& key, const std::string& text) override {
    // rcat uploads stdin as one object; object stores publish it whole on completion.
    return Rclone({"rcat", Target(key)}, text, nullptr);
  }

  Result<std::string> GetText(const std::string& key) override {
    std::string out;
    Status st = Rclone({"cat", Target(key)}, "", &out);
    if (!st.ok()) return st;
    // `rclone cat` of a missing object exits 0 with no output on some backends: an empty
    // manifest is as good as none.
    if (out.empty()) return NotFound("{} has no {}", Describe(), key);
    return out;
  }

  Result<std::string> Fetch(const std::string& key, const std::string& scratch_dir) override {
    RETURN_IF_ERROR(fs_.MakeDirs(scratch_dir, 0700));
    const std::string local = scratch_dir + "/" + key.substr(key.rfind('/') + 1);
    RETURN_IF_ERROR(Rclone({"copyto", Target(key), local}, "", nullptr));
    if (!fs_.Exists(local)) return NotFound("{} has no {}", Describe(), key);
    return local;
  }

  Result<std::string> Sha256Of(const std::string& key) override {
    // --download: hash the bytes as read back, whatever hashes the remote itself keeps.
    std::string out;
    RETURN_IF_ERROR(Rclone({"hashsum", "sha256", "--download", Target(key)}, "", &out));
    const auto space = out.find(' ');
    if (space != 64) return DataLoss("rclone hashsum of {}: unexpected output", key);
    return out.substr(0, 64);
  }

  // deletefile and purge fail on what is not there (with exit 1, like any error): ask first.
  Status Remove(const std::string& key) override {
    ASSIGN_OR_RETURN(const bool there, Lists(key));
    return there ? Rclone({"deletefile", Target(key)}, "", nullptr) : Status::Ok();
  }
  Status RemoveFolder(const std::string& prefix) override {
    ASSIGN_OR_RETURN(const bool there, Lists(prefix));
    return there ? Rclone({"purge", Target(prefix)}, "", nullptr) : Status::Ok();
  }

  Result<std::vector<std::string>> ListFolders(const std::string& prefix) override {
    std::string out;
    Status st = Rclone({"lsf", "--dirs-only", Target(prefix)}, "", &out);
    // A prefix that does not exist yet: an empty repository.
    if (st.code() == StatusCode::kNotFound) return std::vector<std::string>{};
    RETURN_IF_ERROR(st);
    std::vector<std::string> names;
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      if (end == std::string::npos) end = out.size();
      std::string line = out.substr(start, end - start);
      if (!line.empty() && line.back() == '/') line.pop_back();
      if (!line.empty()) names.push_back(line);
      start = end + 1;
    }
    return names;
  }

 private:
  // True when `rclone lsf` of the key (an object, or a folder with anything in it) lists
  // something.
  Result<bool> Lists(const std::string& key) {
    std::string out;
    Status st = Rclone({"lsf", Target(key)}, "", &out);
    if (st.code() == StatusCode::kNotFound) return false;
    RETURN_IF_ERROR(st);
    return !out.empty();
  }

  std::string Target(const std::string& key) const {
    return remote_.back() == ':' || remote_.back() == '/' ? remote_ + key : remote_ + "/" + key;
  }

  Status Rclone(std::vector<std::string> args, const std::string& stdin_data, std::string* out) {
    ProcessSpec spec;
    spec.argv = {"rclone", "-q", "--retries", "3", "--low-level-retries", "3"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.stdin_data = stdin_data;
    spec.timeout = std::chrono::hours(6);
    auto r = runner_.Run(spec);
    if (!r.ok()) return r.status().Annotate("rclone " + args[0]);
    // rclone's exit codes 3 and 4: directory not found, file not found.
    if (r->exit_code == 3 || r->exit_code == 4) {
      return NotFound("{} has no {}", Describe(), args.back());
    }
    if (!r->ok()) {
      return Unavailable("rclone {} {} failed (exit {}): {}", args[0], args.back(), r->exit_code,
                         LastLine(r->output));
    }
    if (out) *out = r->output;
    return Status::Ok();
  }

  std::string remote_;
  std::string scratch_;
  FileSystem& fs_;
  ProcessRunner& runner_;
};

}  // namespace

Result<std::unique_ptr<Repository>> OpenRepository(const std::string& spec, FileSystem& fs,
                                                   ProcessRunner& runner, bool create) {
  RETURN_IF_ERROR(CheckStoredRepositorySpec(spec));
  constexpr std::string_view kRclone = "rclone:";
  if (spec.rfind(kRclone, 0) == 0) {
    return std::unique_ptr<Repository>(
        new RcloneRepository(spec.substr(kRclone.size()), fs, runner));
  }
  if (fs.Exists(spec) && !fs.IsDirectory(spec)) {
    return InvalidArgument("--repo {} is not a directory", spec);
  }
  if (!create && !fs.Exists(spec)) {
    return NotFound("--repo {}: no such directory (a backup creates it)", spec);
  }
  RETURN_IF_ERROR(fs.MakeDirs(spec, 0750).Annotate("--repo " + spec));
  return std::unique_ptr<Repository>(new DirRepository(spec, fs));
}

Result<FileDigest> DigestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read {}", path);
  net::Sha256 sha;
  FileDigest d;
  std::string buf(1 << 20, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n > 0) sha.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
    d.bytes += static_cast<uint64_t>(n);
  }
  if (in.bad()) return DataLoss("read error in {}", path);
  d.sha256 = sha.HexDigest();
  return d;
}

}  // namespace mysqlset::backup
