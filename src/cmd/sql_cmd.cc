// `mysqlset sql`: the MariaDB client on a local cluster's write endpoint, one member, or the
// read endpoint, logged in through DIR/client.cnf as the app account (no READ ONLY ADMIN: a
// write sent to a replica fails), or with --admin through DIR/admin.cnf as admin (no password
// in argv either way). The client
// replaces this process, so the prompt, history and exit code are the client's own.

#include <memory>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "local/cluster_dir.h"
#include "local/member_lookup.h"
#include "posix/posix_env.h"
#include "posix/subprocess.h"

namespace mysqlset::cmd {
namespace {

struct SqlFlags {
  std::string dir = "./mysqlset-data";
  std::string member;
  bool replica = false;
  bool admin = false;
  std::string execute;
};

int RunSql(const SqlFlags& f) {
  PosixFileSystem fs;
  const local::ClusterPaths paths(Absolute(f.dir));
  auto spec = local::LoadSpec(fs, paths);
  if (!spec.ok()) return ReportError("sql", spec.status());
  auto target = local::ChooseSqlTarget(*spec, f.member, f.replica);
  if (!target.ok()) return ReportError("sql", target.status());
  const std::string cnf = f.admin ? paths.admin_cnf() : paths.client_cnf();
  if (!fs.Exists(cnf)) {
    return ReportError(
        "sql", NotFound("{} is missing: `mysqlset up --dir {}` writes it", cnf, paths.dir()));
  }
  const std::vector<std::string> args = local::SqlClientArgv(paths, *target, f.execute, f.admin);
  const Status st = ExecReplacingSelf(args);  // returns only when exec failed
  return ReportError("sql", Unavailable("{} (install mariadb-client)", st.message()));
}

}  // namespace

Action AddSqlCommand(CLI::App& app) {
  auto f = std::make_shared<SqlFlags>();
  AddClusterDirFlag(app, f->dir);
  auto* member = app.add_option("--member", f->member,
                                "Connect to this member's mariadbd (NAME-N, or N) instead of the "
                                "write endpoint");
  app.add_flag("--replica", f->replica,
               "Connect to the read endpoint (balanced over ready members)")
      ->excludes(member);
  app.add_flag("--admin", f->admin,
               "Log in as admin (DIR/admin.cnf: every privilege, including READ ONLY ADMIN, "
               "which writes through read_only: a write on a replica creates an errant GTID) "
               "instead of the app account (DIR/client.cnf)");
  app.add_option("-e,--execute", f->execute, "Run this SQL and exit instead of opening a prompt");
  return [f]() { return RunSql(*f); };
}

}  // namespace mysqlset::cmd
