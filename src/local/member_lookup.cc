#include "local/member_lookup.h"

#include <charconv>

#include "core/identity.h"

namespace mysqlset::local {

Result<uint32_t> MemberOrdinal(const ClusterSpec& spec, const std::string& member) {
  const std::string prefix = spec.name + "-";
  std::string_view digits = member;
  if (digits.starts_with(prefix)) digits.remove_prefix(prefix.size());
  uint32_t ordinal = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, ordinal);
  const bool canonical = !digits.empty() && (digits.size() == 1 || digits[0] != '0');
  if (ec != std::errc() || ptr != end || !canonical ||
      ordinal >= static_cast<uint32_t>(spec.replicas)) {
    return InvalidArgument("no member '{}' in cluster '{}': its members are {} .. {}",
                           Printable(member), spec.name, PodName(spec.name, 0),
                           PodName(spec.name, static_cast<uint32_t>(spec.replicas - 1)));
  }
  return ordinal;
}

Result<SqlTarget> ChooseSqlTarget(const ClusterSpec& spec, const std::string& member,
                                  bool read_endpoint) {
  if (read_endpoint) return SqlTarget{kLocalHost, ReadPort(spec), "read endpoint"};
  if (member.empty()) return SqlTarget{kLocalHost, WritePort(spec), "write endpoint"};
  ASSIGN_OR_RETURN(const uint32_t ordinal, MemberOrdinal(spec, member));
  const MemberAddress a = MemberAddressOf(spec, ordinal);
  return SqlTarget{a.host, a.mysql_port, PodName(spec.name, ordinal)};
}

std::vector<std::string> SqlClientArgv(const ClusterPaths& paths, const SqlTarget& target,
                                       const std::string& execute, bool admin) {
  std::vector<std::string> argv = {
      "mariadb", "--defaults-extra-file=" + (admin ? paths.admin_cnf() : paths.client_cnf()),
      "--host=" + target.host, "--port=" + std::to_string(target.port)};
  if (!execute.empty()) argv.push_back("--execute=" + execute);
  return argv;
}

Result<std::vector<std::string>> LogFilesFor(const ClusterSpec& spec, const ClusterPaths& paths,
                                             const std::string& member,
                                             const std::string& component) {
  if (member.empty()) {
    if (component.empty() || component == "supervisor") return std::vector{paths.supervisor_log()};
    if (component == "haproxy") return std::vector{paths.haproxy_log()};
    return InvalidArgument(
        "--component {} needs a member: mysqlset logs NAME --component {} (members {} .. {})",
        Printable(component), Printable(component), PodName(spec.name, 0),
        PodName(spec.name, static_cast<uint32_t>(spec.replicas - 1)));
  }
  ASSIGN_OR_RETURN(const uint32_t ordinal, MemberOrdinal(spec, member));
  const std::string pod = PodName(spec.name, ordinal);
  std::vector<std::string> files;
  for (const char* c : kMemberLogComponents) {
    if (component.empty() || component == c) files.push_back(paths.log_file(pod, c));
  }
  if (files.empty()) {
    return InvalidArgument(
        "--component {} is not a member's log: use init, clone, mariadbd or agent (supervisor "
        "and haproxy logs belong to no member: drop NAME)",
        Printable(component));
  }
  return files;
}

}  // namespace mysqlset::local
