#include "agent/init_step.h"

#include <cctype>

namespace mysqlset {
namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

Status ValidateCnfText(const std::string& text, const std::string& where) {
  if (Trim(text).empty())
    return InvalidArgument("{} is empty: it must hold a [mariadbd] group", where);
  bool in_group = false;
  bool server_group = false;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = Trim(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.find('\0') != std::string::npos) {
      return InvalidArgument("{} line {}: contains a NUL byte; the file is garbled", where,
                             line_no);
    }
    if (line[0] == '[') {
      if (line.back() != ']') {
        return InvalidArgument("{} line {}: unterminated group header '{}'", where, line_no, line);
      }
      const std::string group = line.substr(1, line.size() - 2);
      in_group = true;
      server_group = server_group || group == "mariadbd" || group == "mysqld" ||
                     group == "server" || group == "mariadb";
      continue;
    }
    if (line[0] == '!') {
      if (line.rfind("!include", 0) != 0) {
        return InvalidArgument("{} line {}: unknown directive '{}'", where, line_no, line);
      }
      continue;
    }
    if (!in_group) {
      return InvalidArgument("{} line {}: option '{}' before any [group]", where, line_no, line);
    }
    const char c0 = line[0];
    if (!(std::isalpha(static_cast<unsigned char>(c0)) || c0 == '_' || c0 == '-')) {
      return InvalidArgument("{} line {}: '{}' is not an option", where, line_no, line);
    }
    for (unsigned char c : line) {
      if (c < 0x20 && c != '\t') {
        return InvalidArgument("{} line {}: control character; the file is garbled", where,
                               line_no);
      }
    }
  }
  if (!server_group) return InvalidArgument("{} has no [mariadbd] group", where);
  return Status::Ok();
}

Result<MemberIdentity> RunInit(FileSystem& fs, const InitOptions& options) {
  ASSIGN_OR_RETURN(MemberIdentity id, ParseIdentity(options.pod_name, options.server_id_offset));
  const std::string source = options.config_map_dir + "/" + kServerCnfName;
  auto role_text = fs.ReadFile(source);
  if (!role_text.ok()) {
    return Status(role_text.status().code(),
                  fmt::format("cannot read {}: {}; mount the ConfigMap (or pass --config-map-dir) "
                              "holding mysqlset.cnf",
                              source, role_text.status().message()));
  }
  RETURN_IF_ERROR(ValidateCnfText(*role_text, source));
  if (options.paths.conf_dir.empty()) return InvalidArgument("--conf-dir is required");
  if (options.paths.data_dir.empty()) return InvalidArgument("--data-dir is required");

  std::string report_host = options.report_host;
  if (report_host.empty()) {
    report_host = id.pod_name + "." + (options.service.empty() ? id.set_name : options.service);
  }
  RETURN_IF_ERROR(fs.MakeDirs(options.paths.conf_dir, 0755));
  RETURN_IF_ERROR(fs.WriteFileAtomic(options.paths.conf_dir + "/server-id.cnf",
                                     RenderServerIdCnf(id, report_host, options.paths.port), 0644));
  RETURN_IF_ERROR(
      fs.WriteFileAtomic(options.paths.conf_dir + "/" + kServerCnfName, *role_text, 0644));
  // The role files of releases before mysqlset.cnf must not linger beside it.
  for (const char* old : {"primary.cnf", "replica.cnf"}) {
    const std::string path = options.paths.conf_dir + "/" + old;
    if (fs.Exists(path)) RETURN_IF_ERROR(fs.RemoveAll(path));
  }
  RETURN_IF_ERROR(fs.WriteFileAtomic(options.paths.conf_dir + "/my.cnf",
                                     RenderMyCnf(id, options.paths, options.memory_limit_bytes),
                                     0644));
  return id;
}

}  // namespace mysqlset
