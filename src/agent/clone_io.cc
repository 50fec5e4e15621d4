#include "agent/clone_io.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "posix/pipe.h"
#include "posix/subprocess.h"

namespace mysqlset {
namespace {

class NetBackupStream : public BackupStream {
 public:
  explicit NetBackupStream(net::BackupClient client) : client_(std::move(client)) {}
  const net::BackupHello& hello() const override { return client_.hello(); }
  Status Receive(const std::function<Status(std::string_view)>& on_data) override {
    return client_.Receive(on_data);
  }

 private:
  net::BackupClient client_;
};

class PosixPipedProcess : public PipedProcess {
 public:
  PosixPipedProcess(Subprocess child, Fd stdin_fd) : child_(child), stdin_(std::move(stdin_fd)) {}
  ~PosixPipedProcess() override {
    if (!reaped_) Kill();
  }
  Status Write(std::string_view data) override { return WriteAll(stdin_.get(), data); }
  ProcessResult Finish() override {
    stdin_.Reset();
    ProcessResult r;
    r.exit_code = child_.Wait(&r.term_signal);
    reaped_ = true;
    return r;
  }
  void Kill() override {
    stdin_.Reset();
    child_.Kill(SIGKILL);
    child_.Wait();
    reaped_ = true;
  }

 private:
  Subprocess child_;
  Fd stdin_;
  bool reaped_ = false;
};

}  // namespace

Result<std::unique_ptr<BackupStream>> NetBackupDialer::Connect(
    const net::BackupClientOptions& options) {
  ASSIGN_OR_RETURN(net::BackupClient client, net::BackupClient::Connect(options));
  return std::unique_ptr<BackupStream>(std::make_unique<NetBackupStream>(std::move(client)));
}

Result<std::unique_ptr<PipedProcess>> PosixPipedProcessStarter::Start(
    const std::vector<std::string>& argv, const std::string& log_file) {
  int in[2];
  RETURN_IF_ERROR(MakePipe(in));
  Fd pipe_read(in[0]);
  Fd pipe_write(in[1]);
  EnlargePipe(pipe_write.get());  // the stream runs ahead of mbstream by up to 1 MiB
  Fd log_fd(open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!log_fd.valid()) return Internal("open {}: {}", log_file, std::strerror(errno));
  ASSIGN_OR_RETURN(Subprocess child,
                   Subprocess::Spawn(argv, {pipe_read.get(), log_fd.get(), log_fd.get()}));
  return std::unique_ptr<PipedProcess>(
      std::make_unique<PosixPipedProcess>(child, std::move(pipe_write)));
}

std::optional<uint64_t> StatvfsDiskSpace::FreeBytes(const std::string& path) const {
  const std::optional<VolumeSpace> v = VolumeOf(path);
  if (!v) return std::nullopt;
  return v->free_bytes;
}

std::optional<VolumeSpace> StatvfsDiskSpace::VolumeOf(const std::string& path) {
  struct statvfs v;
  if (statvfs(path.c_str(), &v) != 0) return std::nullopt;
  return VolumeSpace{static_cast<uint64_t>(v.f_bavail) * v.f_frsize,
                     static_cast<uint64_t>(v.f_blocks) * v.f_frsize};
}

}  // namespace mysqlset
