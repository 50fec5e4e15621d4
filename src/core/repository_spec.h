#pragma once
// What a backup repository spec (`--repo`, `--archive-repo`) may say, and how it is shown.
// Pure. A spec is a directory path or "rclone:REMOTE:PATH", REMOTE a remote of rclone's own
// config file, where its credentials live (docs/backup.md).
//
// rclone also takes connection strings: settings in the spec itself, on a named remote
// ("rclone:s3,secret_access_key=...:bucket") or on the fly ("rclone::s3,...:bucket"). Those
// would carry a credential into process arguments, cluster.json, logs, status and failure
// records. New specs refuse both forms (CheckRepositorySpec). A named remote with settings
// that an older version stored keeps working, so an upgrade does not stop its agents, but it
// is only ever shown redacted (RedactedRepositorySpec).

#include <string>
#include <string_view>

#include "common/status.h"

namespace mysqlset {

// For a spec a user gives now (`up --repo`, `mysqlset backup --repo`): kInvalidArgument in
// one line, naming no setting, for an empty spec, "rclone:" without REMOTE:PATH, or either
// connection-string form.
Status CheckRepositorySpec(std::string_view spec);

// For a spec already in use (an agent's --archive-repo, a stored cluster.json): the same,
// except that a named remote with settings is taken.
Status CheckStoredRepositorySpec(std::string_view spec);

// A named rclone remote carrying connection-string settings ("rclone:s3,key=value:path").
bool HasConnectionSettings(std::string_view spec);

// The spec as logs, status and failure records show it: the settings of a connection
// string replaced by "...": "rclone:s3,...:bucket/path". Anything else as it is.
std::string RedactedRepositorySpec(std::string_view spec);

}  // namespace mysqlset
