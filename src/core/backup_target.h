#pragma once
// Where `mysqlset backup` streams from (docs/backup.md, "Kubernetes"). Pure: the caller reads
// the flags, the token file and each member's /v1/status.
//
// Three ways to name the source:
//   local      --dir DIR (or $MYSQLSET_DIR): members and token from the cluster dir;
//   members    --cluster NAME: members NAME-0 … NAME-(N-1) at the addresses of a layout
//              (Kubernetes: NAME-i.NAME, agent port 8080, backup port 3307), token from a file;
//   host       --from-host HOST:PORT: one backup port, token from a file.
// In the first two, --from NAME picks a member; without it, the least-lagging ready replica,
// else the ready primary (the donor rule of core/donor.h). A token never comes from argv.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/donor.h"

namespace mysqlset {

enum class BackupTargetKind { kLocalDir, kMembers, kHost };

// The flags that say where the source is.
struct BackupTargetFlags {
  bool dir_given = false;  // --dir on the command line
  std::string cluster;     // --cluster
  std::string from;        // --from NAME
  std::string from_host;   // --from-host HOST:PORT
  bool token_file_given = false;
  uint32_t members = 0;  // --members (members mode)
};

// Which of the three; kInvalidArgument (one line saying which flags clash) for --dir with
// --cluster or --from-host, --token-file without either, --members without --cluster.
Result<BackupTargetKind> ChooseBackupTargetKind(const BackupTargetFlags& flags);

struct HostPort {
  std::string host;
  uint16_t port = 0;
};
// "HOST:PORT" or "[V6]:PORT" (--from-host); kInvalidArgument naming the flag otherwise.
Result<HostPort> ParseFromHost(const std::string& text);

// The member behind --from-host, for the backup's id and manifest: `from` when given (it must
// be a member name NAME-N), else the host's first DNS label when that is one
// (mysql-1.mysql.db.svc.cluster.local -> mysql-1), else kInvalidArgument asking for --from.
Result<std::string> MemberNameForHost(const HostPort& host, const std::string& from);

// --from NAME in local or members mode: its ordinal when NAME is NAME-i of `cluster` with
// i < members; kInvalidArgument naming the members otherwise.
Result<uint32_t> OrdinalOfFrom(const std::string& cluster, uint32_t members,
                               const std::string& from);

// Without --from: `statuses[i]` is member i's /v1/status (nullopt: no answer). Returns the
// least-lagging ready replica, else the ready primary (RankDonors). kUnavailable when no
// member answered (saying so, so the user checks the addresses), or none is ready.
Result<uint32_t> BestBackupMember(const std::string& cluster,
                                  const std::vector<std::optional<PeerStatus>>& statuses);

}  // namespace mysqlset
