#include "cmd/flags.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iterator>

#include "common/logging.h"

namespace mysqlset::cmd {

void AddPodNameFlag(CLI::App& app, MemberFlags& f) {
  app.add_option("--pod-name", f.pod_name,
                 "This member's name, NAME-N (N is the ordinal). Default: $POD_NAME, else the "
                 "hostname")
      ->envname("POD_NAME");
  AddLogFlags(app, f.log_level);
}

void AddLogFlags(CLI::App& app, std::string& level) {
  app.add_option("--log-level", level, "Log level: trace, debug, info, warn, error, critical, off")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(kLogLevels), std::end(kLogLevels))))
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--log-format", [](const std::string& format) { SetDefaultLogFormat(format); },
         "Log line format: text, or json (one object per line); all times are UTC. Default: "
         "$MYSQLSET_LOG_FORMAT, else text")
      ->check(
          CLI::IsMember(std::vector<std::string>(std::begin(kLogFormats), std::end(kLogFormats))))
      ->envname("MYSQLSET_LOG_FORMAT");
}

CLI::Option* AddClusterDirFlag(CLI::App& app, std::string& dir) {
  return app
      .add_option("--dir", dir, "Cluster directory. Default: $MYSQLSET_DIR, else ./mysqlset-data")
      ->envname("MYSQLSET_DIR");
}

CLI::Option* MakeAbsolute(CLI::Option* option) {
  return option->transform([](std::string path) { return Absolute(path); });
}

void AddDirFlags(CLI::App& app, MemberFlags& f, bool secrets) {
  MakeAbsolute(app.add_option("--conf-dir", f.conf_dir,
                              "Directory for generated option files (the 'conf' volume)"))
      ->capture_default_str();
  MakeAbsolute(app.add_option(
                   "--data-dir", f.data_dir,
                   "The data volume; the datadir is DATA/mysql, staging and markers sit beside it"))
      ->capture_default_str();
  if (secrets) {
    MakeAbsolute(app.add_option("--secrets-dir", f.secrets_dir,
                                "Directory of secret files: admin-password, replication-password, "
                                "backup-password, monitor-password, backup-token, app-password"))
        ->capture_default_str();
  }
}

void AddPeerFlags(CLI::App& app, MemberFlags& f) {
  app.add_option("--service", f.layout.service,
                 "Headless Service name used in peer addresses (default: the set name)");
  app.add_option("--peer-host", f.layout.host_template,
                 "Address template of a member: {pod}, {service} and {ordinal} expand")
      ->capture_default_str();
  app.add_option("--port", f.layout.mysql_port, "mariadbd port of ordinal 0")
      ->capture_default_str();
  app.add_option("--http-port", f.layout.agent_port, "Agent HTTP port of ordinal 0")
      ->capture_default_str();
  app.add_option("--backup-port", f.layout.backup_port, "Backup stream port of ordinal 0")
      ->capture_default_str();
  app.add_option("--port-stride", f.layout.port_stride,
                 "Ports of ordinal N are the base ports + N * stride (0 on Kubernetes; local mode "
                 "runs all members on one host)")
      ->capture_default_str();
}

std::string Absolute(const std::string& path) {
  if (path.empty()) return path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

std::string ResolvePodName(const MemberFlags& f) {
  if (!f.pod_name.empty()) return f.pod_name;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "";
  std::string h = host;
  return h.substr(0, h.find('.'));
}

int ReportError(std::string_view command, const Status& status) {
  std::fprintf(stderr, "mysqlset %.*s: error: %s\n", static_cast<int>(command.size()),
               command.data(), status.message().c_str());
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace mysqlset::cmd
