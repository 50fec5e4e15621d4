#include "posix/posix_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "posix/pipe.h"
#include "posix/subprocess.h"
#include "posix/tail_file.h"

namespace mysqlset {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  const std::string msg = fmt::format("{} {}: {}", what, path, std::strerror(err));
  if (err == ENOENT) return Status(StatusCode::kNotFound, msg);
  if (err == EACCES || err == EPERM) return Status(StatusCode::kPermissionDenied, msg);
  if (err == ENOSPC || err == EDQUOT) return Status(StatusCode::kResourceExhausted, msg);
  return Status(StatusCode::kInternal, msg);
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void FsyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

constexpr size_t kMaxCapturedOutput = 1 << 20;

}  // namespace

std::chrono::steady_clock::time_point RealClock::Now() const {
  return std::chrono::steady_clock::now();
}
int64_t RealClock::UnixSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t RealClock::UnixMillis() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
void RealClock::SleepFor(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

std::string PosixFileSystem::ReadTail(const std::string& path, size_t max_bytes) const {
  return TailFile(path, max_bytes);
}

Result<std::string> PosixFileSystem::ReadFile(const std::string& path) const {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("read", path, errno);
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return ErrnoStatus("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

Status PosixFileSystem::WriteFileAtomic(const std::string& path, const std::string& contents,
                                        mode_t mode) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus("write", tmp, errno);
  fchmod(fd, mode);  // umask must not widen or narrow what the caller asked for
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return ErrnoStatus("write", tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus("fsync", tmp, err);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus("rename into", path, err);
  }
  FsyncDir(DirOf(path));
  return Status::Ok();
}

bool PosixFileSystem::Exists(const std::string& path) const {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool PosixFileSystem::IsDirectory(const std::string& path) const {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<FileInfo> PosixFileSystem::StatFile(const std::string& path) const {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  return FileInfo{static_cast<mode_t>(st.st_mode & 07777), st.st_uid == geteuid()};
}

Status PosixFileSystem::MakeDirs(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return ErrnoStatus("mkdir", path, ec.value());
  chmod(path.c_str(), mode);
  return Status::Ok();
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0)
    return ErrnoStatus("rename " + from + " to", to, errno);
  FsyncDir(DirOf(to));
  return Status::Ok();
}

Status PosixFileSystem::RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return ErrnoStatus("remove", path, ec.value());
  return Status::Ok();
}

Result<std::vector<std::string>> PosixFileSystem::ListDir(const std::string& path) const {
  DIR* d = opendir(path.c_str());
  if (!d) return ErrnoStatus("list", path, errno);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  return names;
}

Result<uint64_t> PosixFileSystem::TreeBytes(const std::string& path) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status top = fs::symlink_status(path, ec);
  if (ec) return ErrnoStatus("stat", path, ec.value());
  if (fs::is_regular_file(top)) return static_cast<uint64_t>(fs::file_size(path, ec));
  uint64_t total = 0;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  if (ec) return ErrnoStatus("list", path, ec.value());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return ErrnoStatus("list", path, ec.value());
    std::error_code fec;
    if (it->is_regular_file(fec) && !it->is_symlink(fec)) total += it->file_size(fec);
  }
  return total;
}

Result<ProcessResult> PosixProcessRunner::Run(const ProcessSpec& spec) {
  int in[2], out[2];
  RETURN_IF_ERROR(MakePipe(in));
  if (Status st = MakePipe(out); !st.ok()) {
    close(in[0]);
    close(in[1]);
    return st;
  }
  int log_fd = -1;
  if (!spec.output_file.empty()) {
    log_fd = open(spec.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (log_fd < 0) {
      for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
      return ErrnoStatus("open log", spec.output_file, errno);
    }
  }
  SpawnFds fds{in[0], log_fd >= 0 ? log_fd : out[1], -1};
  auto child = Subprocess::Spawn(spec.argv, fds);
  close(in[0]);
  close(out[1]);
  if (log_fd >= 0) close(log_fd);
  if (!child.ok()) {
    close(in[1]);
    close(out[0]);
    return child.status();
  }
  // Feed stdin and drain output together so neither side blocks on a full pipe.
  signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  int in_fd = in[1];
  if (spec.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  bool out_open = true;
  while (out_open || in_fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      child->Kill(SIGKILL);
      child->Wait();
      if (in_fd >= 0) close(in_fd);
      close(out[0]);
      return DeadlineExceeded("{} did not finish within {} s", spec.argv[0],
                              spec.timeout.count() / 1000);
    }
    pollfd p[2];
    int n = 0;
    if (out_open) p[n++] = {out[0], POLLIN, 0};
    if (in_fd >= 0) p[n++] = {in_fd, POLLOUT, 0};
    if (poll(p, n, static_cast<int>(std::min<long long>(left.count(), 1000))) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (p[i].fd == out[0] && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        char buf[8192];
        const ssize_t r = read(out[0], buf, sizeof buf);
        if (r <= 0) {
          out_open = false;
        } else if (result.output.size() < kMaxCapturedOutput) {
          result.output.append(buf, static_cast<size_t>(r));
        }
      } else if (p[i].fd == in_fd && (p[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        const ssize_t w =
            write(in_fd, spec.stdin_data.data() + written, spec.stdin_data.size() - written);
        if (w < 0 && errno != EINTR && errno != EAGAIN) {
          written = spec.stdin_data.size();  // child closed stdin; stop feeding
        } else if (w > 0) {
          written += static_cast<size_t>(w);
        }
        if (written >= spec.stdin_data.size()) {
          close(in_fd);
          in_fd = -1;
        }
      }
    }
  }
  close(out[0]);
  // With an output file the pipe was closed from the start, so the loop above ends at once:
  // the child may run on, and the same deadline holds for it (a --prepare or a rollback pass
  // that hangs must not hang its caller).
  auto pause = std::chrono::milliseconds(1);
  while (!child->TryWait(&result.exit_code, &result.term_signal)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      child->Kill(SIGKILL);
      child->Wait();
      return DeadlineExceeded("{} did not finish within {} s", spec.argv[0],
                              spec.timeout.count() / 1000);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return result;
}

}  // namespace mysqlset
