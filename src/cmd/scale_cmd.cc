// `mysqlset scale N`: change the number of members of a running local cluster and wait until
// it has converged. Up: new members clone from a ready donor (or restart from kept data).
// Down: the highest ordinals stop; their data stays.

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <memory>

#include "cmd/cluster_checks.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "local/cluster_dir.h"
#include "local/display.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

struct ScaleFlags {
  std::string replicas;  // text, so "abc" gets our message rather than a parser's
  std::string dir = "./mysqlset-data";
  int timeout_s = 900;
};

int RunScale(const ScaleFlags& f) {
  int n = 0;
  const char* end = f.replicas.data() + f.replicas.size();
  const auto [ptr, ec] = std::from_chars(f.replicas.data(), end, n);
  if (f.replicas.empty() || ec != std::errc() || ptr != end) {
    return ReportError(
        "scale", InvalidArgument("N must be a whole number of members, got '{}'", f.replicas));
  }
  PosixFileSystem fs;
  const local::ClusterPaths paths(Absolute(f.dir));
  auto spec = local::LoadSpec(fs, paths);
  if (!spec.ok()) return ReportError("scale", spec.status());
  local::ClusterSpec next = *spec;
  next.replicas = n;
  Status st = local::ValidateSpec(next);
  if (st.ok()) st = local::CheckSocketPathLengths(paths, next);
  if (!st.ok()) return ReportError("scale", st);
  const auto supervisor = local::RunningSupervisor(paths);
  if (!supervisor) {
    return ReportError("scale", FailedPrecondition("cluster in {} is not running: start it with "
                                                   "`mysqlset up --dir {} --replicas {}`",
                                                   paths.dir(), paths.dir(), n));
  }
  st = local::CheckNewMemberPortsFree(*spec, next);
  if (!st.ok()) return ReportError("scale", st);
  st = local::SaveSpec(fs, paths, next);
  if (!st.ok()) return ReportError("scale", st);
  kill(*supervisor, SIGHUP);
  std::printf("Scaling cluster '%s' from %d to %d member(s)\n", spec->name.c_str(), spec->replicas,
              n);
  std::fflush(stdout);
  local::WaitOptions w;
  w.timeout = std::chrono::seconds(f.timeout_s);
  w.tty = isatty(STDOUT_FILENO);
  w.what = fmt::format("scale to {}", n);
  w.confirm = [&paths, &next] { return ConfirmClusterReady(paths, next); };
  st = local::WaitForConverged(fs, paths, *supervisor, n, w);
  if (!st.ok()) return ReportError("scale", st);
  std::printf("Cluster '%s' has %d ready member(s).\n", spec->name.c_str(), n);
  return 0;
}

}  // namespace

Action AddScaleCommand(CLI::App& app) {
  auto f = std::make_shared<ScaleFlags>();
  app.add_option("N", f->replicas, "New number of members (1-64)")->required();
  AddClusterDirFlag(app, f->dir);
  app.add_option("--timeout", f->timeout_s, "Seconds to wait for the cluster to converge")
      ->capture_default_str();
  return [f]() { return RunScale(*f); };
}

}  // namespace mysqlset::cmd
