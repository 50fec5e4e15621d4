#include "local/cluster_spec.h"

#include <random>

#include "common/json_fields.h"
#include "core/accounts.h"
#include "core/cron.h"
#include "core/identity.h"
#include "nlohmann/json.hpp"

namespace mysqlset::local {

Status ValidateSpec(const ClusterSpec& spec) {
  if (spec.replicas < 1 || spec.replicas > kMaxReplicas) {
    return InvalidArgument("replicas must be between 1 and {}, got {}", kMaxReplicas,
                           spec.replicas);
  }
  auto id = ParseIdentity(PodName(spec.name, 0));
  if (!id.ok() || id->set_name != spec.name) {
    return InvalidArgument(
        "cluster name '{}' is not usable: use lowercase letters, digits and '-' (a DNS label), "
        "e.g. --name mysql",
        spec.name);
  }
  if (spec.etcd_members != 1 && spec.etcd_members != 3 && spec.etcd_members != 5) {
    return InvalidArgument(
        "etcd members must be 1, 3 or 5 (an odd number keeps a quorum), got {}: use "
        "--etcd-members 1 or 3",
        spec.etcd_members);
  }
  const int lowest = static_cast<int>(spec.base_port) - kPortsBelowBase;
  const int highest = static_cast<int>(spec.base_port) + kPortStride * (spec.replicas - 1) + 2;
  if (lowest < 1024 || highest > 65535) {
    return InvalidArgument(
        "base port {} with {} members needs ports {}..{}, outside 1024..65535: pick another "
        "--base-port",
        spec.base_port, spec.replicas, lowest, highest);
  }
  if (!spec.backup_verify_schedule.empty() && spec.backup_schedule.empty()) {
    return InvalidArgument("--backup-verify-schedule needs --backup-schedule");
  }
  if (!spec.backup_schedule.empty() && spec.archive_repo.empty()) {
    return InvalidArgument("--backup-schedule needs --repo R: the repository the backups go to");
  }
  if (spec.backup_keep_last < 0 || spec.backup_keep_days < 0) {
    return InvalidArgument("--keep-last and --keep-days must be positive");
  }
  if ((spec.backup_keep_last > 0 || spec.backup_keep_days > 0) && spec.backup_schedule.empty()) {
    return InvalidArgument(
        "--keep-last/--keep-days on up need --backup-schedule: the supervisor prunes after each "
        "scheduled backup (prune by hand with `mysqlset backups --prune`)");
  }
  for (const auto& [flag, text] :
       {std::pair{"--backup-schedule", &spec.backup_schedule},
        std::pair{"--backup-verify-schedule", &spec.backup_verify_schedule}}) {
    if (text->empty()) continue;
    if (auto cron = ParseCron(*text); !cron.ok()) return cron.status().Annotate(flag);
  }
  return Status::Ok();
}

Status ApplyBackupFlags(const BackupFlagsGiven& given, ClusterSpec& spec) {
  if (given.repo) spec.archive_repo = *given.repo;
  if (given.archive_interval_s) {
    if (spec.archive_repo.empty()) {
      return InvalidArgument("--archive-interval needs --repo R: the repository binlogs go to");
    }
    spec.archive_interval_s = *given.archive_interval_s;
  }
  if (given.backup_schedule) spec.backup_schedule = *given.backup_schedule;
  if (given.backup_verify_schedule) spec.backup_verify_schedule = *given.backup_verify_schedule;
  if (given.keep_last) spec.backup_keep_last = *given.keep_last;
  if (given.keep_days) spec.backup_keep_days = *given.keep_days;
  return Status::Ok();
}

std::string NewEtcdToken() {
  std::random_device random;
  return fmt::format("mysqlset-{:08x}{:08x}", random(), random());
}

std::string EtcdTokenOf(const ClusterSpec& spec) {
  if (!spec.etcd_token.empty()) return spec.etcd_token;
  return fmt::format("mysqlset-{}-{}", spec.name, spec.base_port);
}

std::string SpecToJson(const ClusterSpec& spec) {
  nlohmann::ordered_json j;
  j["name"] = spec.name;
  j["replicas"] = spec.replicas;
  j["base_port"] = spec.base_port;
  j["etcd_members"] = spec.etcd_members;
  j["etcd_token"] = spec.etcd_token;
  j["semi_sync"] = spec.semi_sync;
  if (!spec.archive_repo.empty()) {
    j["archive_repo"] = spec.archive_repo;
    j["archive_interval_s"] = spec.archive_interval_s;
  }
  if (!spec.backup_schedule.empty()) j["backup_schedule"] = spec.backup_schedule;
  if (!spec.backup_verify_schedule.empty()) {
    j["backup_verify_schedule"] = spec.backup_verify_schedule;
  }
  if (spec.backup_keep_last > 0) j["backup_keep_last"] = spec.backup_keep_last;
  if (spec.backup_keep_days > 0) j["backup_keep_days"] = spec.backup_keep_days;
  return j.dump(2) + "\n";
}

Result<ClusterSpec> SpecFromJson(const std::string& text, const std::string& where) {
  ClusterSpec spec;
  try {
    const auto j = nlohmann::json::parse(text);
    RequireIntegerFields(j, {"replicas", "base_port"});
    spec.name = j.at("name").get<std::string>();
    spec.replicas = j.at("replicas").get<int>();
    spec.base_port = j.at("base_port").get<uint16_t>();
    // Files written before etcd joined the local cluster have neither field.
    if (j.contains("etcd_members")) {
      RequireIntegerFields(j, {"etcd_members"});
      spec.etcd_members = j.at("etcd_members").get<int>();
    }
    spec.etcd_token = j.value("etcd_token", "");
    spec.semi_sync = j.value("semi_sync", false);
    spec.archive_repo = j.value("archive_repo", "");
    spec.archive_interval_s = j.value("archive_interval_s", 30);
    spec.backup_schedule = j.value("backup_schedule", "");
    spec.backup_verify_schedule = j.value("backup_verify_schedule", "");
    RequireIntegerFields(j, {"backup_keep_last", "backup_keep_days"});
    spec.backup_keep_last = j.value("backup_keep_last", 0);
    spec.backup_keep_days = j.value("backup_keep_days", 0);
  } catch (const std::exception& e) {
    return InvalidArgument("{} is not a valid cluster file ({}): fix or remove it", where,
                           e.what());
  }
  Status st = ValidateSpec(spec);
  if (!st.ok()) return st.Annotate(where);
  return spec;
}

std::vector<std::string> RetentionArgs(const ClusterSpec& spec) {
  std::vector<std::string> args;
  if (spec.backup_keep_last > 0) {
    args.insert(args.end(), {"--keep-last", std::to_string(spec.backup_keep_last)});
  }
  if (spec.backup_keep_days > 0) {
    args.insert(args.end(), {"--keep-days", std::to_string(spec.backup_keep_days)});
  }
  return args;
}

PeerLayout LocalPeerLayout(const ClusterSpec& spec) {
  PeerLayout l;
  l.host_template = kLocalHost;
  l.service = spec.name;
  l.mysql_port = spec.base_port;
  l.agent_port = static_cast<uint16_t>(spec.base_port + 1);
  l.backup_port = static_cast<uint16_t>(spec.base_port + 2);
  l.port_stride = kPortStride;
  return l;
}

MemberAddress MemberAddressOf(const ClusterSpec& spec, uint32_t ordinal) {
  return AddressOf(LocalPeerLayout(spec), spec.name, ordinal);
}

uint16_t WritePort(const ClusterSpec& spec) { return static_cast<uint16_t>(spec.base_port - 6); }
uint16_t ReadPort(const ClusterSpec& spec) { return static_cast<uint16_t>(spec.base_port - 5); }

uint16_t EtcdClientPort(const ClusterSpec& spec, int index) {
  return static_cast<uint16_t>(spec.base_port - kPortsBelowBase + 2 * index);
}

uint16_t EtcdPeerPort(const ClusterSpec& spec, int index) {
  return static_cast<uint16_t>(EtcdClientPort(spec, index) + 1);
}

std::string EtcdMemberName(int index) { return "etcd-" + std::to_string(index); }

std::string EtcdEndpoints(const ClusterSpec& spec) {
  std::string out;
  for (int i = 0; i < spec.etcd_members; ++i) {
    if (i > 0) out += ",";
    out += fmt::format("http://{}:{}", kLocalHost, EtcdClientPort(spec, i));
  }
  return out;
}

std::vector<PortUse> PortsOf(const ClusterSpec& spec) {
  std::vector<PortUse> out = {{WritePort(spec), "write endpoint"},
                              {ReadPort(spec), "read endpoint"}};
  for (int i = 0; i < spec.etcd_members; ++i) {
    out.push_back({EtcdClientPort(spec, i), EtcdMemberName(i) + " client"});
    out.push_back({EtcdPeerPort(spec, i), EtcdMemberName(i) + " peer"});
  }
  for (int i = 0; i < spec.replicas; ++i) {
    for (auto& use : MemberPortsOf(spec, static_cast<uint32_t>(i))) out.push_back(use);
  }
  return out;
}

std::vector<PortUse> MemberPortsOf(const ClusterSpec& spec, uint32_t ordinal) {
  const MemberAddress a = MemberAddressOf(spec, ordinal);
  return {{a.mysql_port, a.pod_name + " mariadbd"},
          {a.agent_port, a.pod_name + " agent"},
          {a.backup_port, a.pod_name + " backup"}};
}

std::string RenderClientCnf(const std::string& user, const std::string& password) {
  // Option-file values are quoted so that any character of the password survives.
  std::string quoted;
  for (char c : password) {
    if (c == '\\' || c == '"') quoted += '\\';
    quoted += c;
  }
  return fmt::format(
      "# Generated by mysqlset up. Use: mariadb --defaults-extra-file=THIS_FILE -h HOST -P PORT\n"
      "[client]\n"
      "user={}\n"
      "password=\"{}\"\n",
      user, quoted);
}

}  // namespace mysqlset::local
