#include <memory>

#include "agent/init_step.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {

Action AddInitCommand(CLI::App& app) {
  auto f = std::make_shared<MemberFlags>();
  auto o = std::make_shared<InitOptions>();
  AddPodNameFlag(app, *f);
  AddDirFlags(app, *f, /*secrets=*/false);
  app.add_option("--config-map-dir", o->config_map_dir,
                 "Directory holding mysqlset.cnf (the ConfigMap)")
      ->required();
  app.add_option("--server-id-offset", f->server_id_offset, "server-id = offset + ordinal")
      ->capture_default_str();
  app.add_option("--port", o->paths.port, "Port mariadbd listens on")->capture_default_str();
  app.add_option("--bind-address", o->paths.bind_address, "Address mariadbd listens on")
      ->capture_default_str();
  app.add_option("--service", o->service, "Headless Service name (default: the set name)");
  app.add_option("--memory-limit", o->memory_limit_bytes,
                 "mariadbd's memory limit in bytes: sets innodb_buffer_pool_size to it less "
                 "max(512 MiB, a quarter) (0: leave it)")
      ->capture_default_str();
  app.add_option("--report-host", o->report_host,
                 "Address this member reports to its primary (default: POD.SERVICE)");
  return [f, o]() {
    SetUpLogging("init", f->log_level);
    o->pod_name = ResolvePodName(*f);
    o->server_id_offset = f->server_id_offset;
    o->paths.conf_dir = Absolute(f->conf_dir);
    o->paths.data_dir = Absolute(f->data_dir);
    o->config_map_dir = Absolute(o->config_map_dir);
    PosixFileSystem fs;
    auto id = RunInit(fs, *o);
    if (!id.ok()) return ReportError("init", id.status());
    spdlog::info("{}: server-id={}, {} written to {}", id->pod_name, id->server_id, kServerCnfName,
                 o->paths.conf_dir);
    return 0;
  };
}

}  // namespace mysqlset::cmd
