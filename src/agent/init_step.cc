#include "agent/init_step.h"

#include "core/topology.h"

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
  if (Trim(text).empty()) return InvalidArgument("{} is empty: it must hold a [mariadbd] group", where);
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
      return InvalidArgument("{} line {}: contains a NUL byte; the file is garbled", where, line_no);
    }
    if (line[0] == '[') {
      if (line.back() != ']') {
        return InvalidArgument("{} line {}: unterminated group header '{}'", where, line_no, line);
      }
      const std::string group = line.substr(1, line.size() - 2);
      in_group = true;
      server_group = server_group || group == "mariadbd" || group == "mysqld" || group == "server" ||
                     group == "mariadb";
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

Result<MemberIdentity> RunInit(FileSystem& fs, const InitOptions& o) {
  ASSIGN_OR_RETURN(MemberIdentity id, ParseIdentity(o.pod_name, o.server_id_offset));
  const std::string role_file = RoleCnfName(id);
  const std::string source = o.config_map_dir + "/" + role_file;
  auto role_text = fs.ReadFile(source);
  if (!role_text.ok()) {
    return Status(role_text.status().code(),
                  fmt::format("cannot read {}: {}; mount the ConfigMap (or pass --config-map-dir) "
                              "holding primary.cnf and replica.cnf",
                              source, role_text.status().message()));
  }
  RETURN_IF_ERROR(ValidateCnfText(*role_text, source));
  if (o.paths.conf_dir.empty()) return InvalidArgument("--conf-dir is required");
  if (o.paths.data_dir.empty()) return InvalidArgument("--data-dir is required");

  std::string report_host = o.report_host;
  if (report_host.empty()) {
    report_host = id.pod_name + "." + (o.service.empty() ? id.set_name : o.service);
  }
  RETURN_IF_ERROR(fs.MakeDirs(o.paths.conf_dir, 0755));
  RETURN_IF_ERROR(fs.WriteFileAtomic(o.paths.conf_dir + "/server-id.cnf",
                                     RenderServerIdCnf(id, report_host, o.paths.port), 0644));
  RETURN_IF_ERROR(fs.WriteFileAtomic(o.paths.conf_dir + "/" + role_file, *role_text, 0644));
  // A member's role file from an earlier life must not linger beside the current one.
  const std::string other = o.paths.conf_dir + "/" + (IsPrimary(id) ? "replica.cnf" : "primary.cnf");
  if (fs.Exists(other)) RETURN_IF_ERROR(fs.RemoveAll(other));
  // mariadbd refuses to start without its tmpdir; what an earlier life left there is junk.
  const std::string tmpdir = TmpdirOf(o.paths.data_dir);
  RETURN_IF_ERROR(fs.RemoveAll(tmpdir));
  RETURN_IF_ERROR(fs.MakeDirs(tmpdir, 0700));
  RETURN_IF_ERROR(
      fs.WriteFileAtomic(o.paths.conf_dir + "/my.cnf", RenderMyCnf(id, o.paths), 0644));
  return id;
}

}  // namespace mysqlset
