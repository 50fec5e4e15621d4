// `mysqlset down`: stop a local cluster (HAProxy, then members highest ordinal first);
// `--purge` then deletes what mysqlset created in the cluster dir.

#include <signal.h>
#include <unistd.h>

#include <memory>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "local/cluster_dir.h"
#include "local/display.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

struct DownFlags {
  std::string dir = "./mysqlset-data";
  bool purge = false;
  int timeout_s = 300;
};

int RunDown(const DownFlags& f) {
  PosixFileSystem fs;
  const local::ClusterPaths paths(Absolute(f.dir));
  if (!local::LooksLikeClusterDir(fs, paths)) {
    return ReportError("down", NotFound("{} does not look like a mysqlset cluster dir (no valid "
                                        "cluster.json, members/ and secrets/); nothing done",
                                        paths.dir()));
  }
  if (const auto supervisor = local::RunningSupervisor(paths)) {
    std::printf("Stopping the cluster in %s (supervisor pid %d)\n", paths.dir().c_str(),
                *supervisor);
    std::fflush(stdout);
    if (kill(*supervisor, SIGTERM) != 0 && errno != ESRCH) {
      return ReportError(
          "down", Internal("signal supervisor pid {}: {}", *supervisor, std::strerror(errno)));
    }
    local::WaitOptions w;
    w.timeout = std::chrono::seconds(f.timeout_s);
    w.tty = isatty(STDOUT_FILENO);
    Status st = local::WaitForSupervisorExit(fs, paths, *supervisor, w);
    if (!st.ok()) return ReportError("down", st);
    std::printf("Stopped.\n");
  } else {
    std::printf("The cluster in %s is not running.\n", paths.dir().c_str());
  }
  if (f.purge) {
    // A supervisor that started meanwhile would lose its data under it.
    if (local::RunningSupervisor(paths)) {
      return ReportError(
          "down", FailedPrecondition("a supervisor started again on {}; not purging", paths.dir()));
    }
    Status st = local::PurgeClusterDir(fs, paths);
    if (!st.ok()) return ReportError("down", st.Annotate("purge"));
    std::printf("Deleted the cluster's data in %s.\n", paths.dir().c_str());
  }
  return 0;
}

}  // namespace

Action AddDownCommand(CLI::App& app) {
  auto f = std::make_shared<DownFlags>();
  AddClusterDirFlag(app, f->dir);
  app.add_flag("--purge", f->purge, "Also delete the cluster's data, secrets and config");
  app.add_option("--timeout", f->timeout_s, "Seconds to wait for everything to stop")
      ->capture_default_str();
  return [f]() { return RunDown(*f); };
}

}  // namespace mysqlset::cmd
