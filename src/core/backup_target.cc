#include "core/backup_target.h"

#include <charconv>

#include "core/identity.h"
#include "fmt/format.h"

namespace mysqlset {

Result<BackupTargetKind> ChooseBackupTargetKind(const BackupTargetFlags& f) {
  const bool remote = !f.cluster.empty() || !f.from_host.empty();
  if (remote && f.dir_given) {
    return InvalidArgument(
        "--dir names a local cluster; --cluster and --from-host name members by address: give "
        "one or the other");
  }
  if (!f.from_host.empty()) {
    if (f.members != 0) {
      return InvalidArgument("--members goes with --cluster, not with --from-host (one member)");
    }
    return BackupTargetKind::kHost;
  }
  if (!f.cluster.empty()) return BackupTargetKind::kMembers;
  if (f.token_file_given) {
    return InvalidArgument(
        "--token-file needs --cluster NAME or --from-host HOST:PORT (a local cluster's token is "
        "read from DIR/secrets)");
  }
  if (f.members != 0) return InvalidArgument("--members needs --cluster NAME");
  return BackupTargetKind::kLocalDir;
}

Result<HostPort> ParseFromHost(const std::string& text) {
  const auto bad = [&] {
    return InvalidArgument(
        "--from-host '{}': want HOST:PORT, a member's backup port (e.g. mysql-1.mysql:3307)",
        Printable(text));
  };
  HostPort hp;
  std::string port_text;
  if (text.starts_with("[")) {
    const size_t close = text.find("]:");
    if (close == std::string::npos || close == 1) return bad();
    hp.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return bad();
    hp.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (hp.host.find(':') != std::string::npos) return bad();  // a bare IPv6 address
  }
  for (const char c : hp.host) {
    if (c <= ' ' || c > '~' || c == '/' || c == '@') return bad();
  }
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    return bad();
  }
  hp.port = static_cast<uint16_t>(port);
  return hp;
}

Result<std::string> MemberNameForHost(const HostPort& host, const std::string& from) {
  if (!from.empty()) {
    auto id = ParseIdentity(from);
    if (!id.ok()) return id.status().Annotate("--from");
    return id->pod_name;
  }
  const std::string label = host.host.substr(0, host.host.find('.'));
  if (auto id = ParseIdentity(label); id.ok()) return id->pod_name;
  return InvalidArgument(
      "--from-host {}: its host does not start with a member name (NAME-N); add --from NAME to "
      "say which member it is",
      Printable(host.host));
}

Result<uint32_t> OrdinalOfFrom(const std::string& cluster, uint32_t members,
                               const std::string& from) {
  auto id = ParseIdentity(from);
  if (!id.ok() || id->set_name != cluster || id->ordinal >= members) {
    return InvalidArgument("--from {}: not a member of cluster '{}' ({} .. {})", Printable(from),
                           cluster, PodName(cluster, 0),
                           PodName(cluster, members == 0 ? 0 : members - 1));
  }
  return id->ordinal;
}

Result<uint32_t> BestBackupMember(const std::string& cluster,
                                  const std::vector<std::optional<PeerStatus>>& statuses) {
  const uint32_t n = static_cast<uint32_t>(statuses.size());
  bool any = false;
  for (const auto& s : statuses) any = any || s.has_value();
  if (!any) {
    return Unavailable(
        "no member of cluster '{}' answered on its agent port (asked {} .. {}): check that the "
        "cluster runs and the members' addresses, or name one with --from",
        cluster, PodName(cluster, 0), PodName(cluster, n == 0 ? 0 : n - 1));
  }
  // self_ordinal = n: every status counts; `any` rules out RankDonors' N-1 fallback.
  const std::vector<uint32_t> ranked = RankDonors(n, statuses);
  if (ranked.empty()) {
    return Unavailable(
        "no member of cluster '{}' is ready to stream a backup: check mysqlset status, or name "
        "one with --from",
        cluster);
  }
  return ranked.front();
}

}  // namespace mysqlset
