#include "core/repository_spec.h"

#include <fmt/format.h>

namespace mysqlset {
namespace {

constexpr std::string_view kRclone = "rclone:";

bool IsRclone(std::string_view spec) { return spec.starts_with(kRclone); }

// Where a named remote's settings start (the ',' before the first ':'), or npos.
size_t SettingsStart(std::string_view remote) {
  const size_t comma = remote.find(',');
  return comma != std::string_view::npos && comma < remote.find(':') ? comma
                                                                     : std::string_view::npos;
}

}  // namespace

Status CheckStoredRepositorySpec(std::string_view spec) {
  if (spec.empty()) {
    return InvalidArgument("--repo is empty: give a directory or rclone:REMOTE:PATH");
  }
  if (!IsRclone(spec)) return Status::Ok();
  const std::string_view remote = spec.substr(kRclone.size());
  if (remote.starts_with(':')) {
    return InvalidArgument(
        "--repo rclone::...: an on-the-fly remote is not taken (its settings would show in "
        "process arguments and logs); define the remote in rclone's config and give "
        "rclone:REMOTE:PATH");
  }
  if (remote.find(':') == std::string_view::npos) {
    return InvalidArgument(
        "--repo {}: expected rclone:REMOTE:PATH, REMOTE a remote of rclone's config",
        RedactedRepositorySpec(spec));
  }
  return Status::Ok();
}

Status CheckRepositorySpec(std::string_view spec) {
  if (HasConnectionSettings(spec)) {
    const std::string_view remote = spec.substr(kRclone.size());
    const std::string_view name = remote.substr(0, SettingsStart(remote));
    return InvalidArgument(
        "--repo rclone:{},...: connection-string settings are not taken (they would show in "
        "process arguments and logs); set them in rclone's config for remote '{}'",
        name, name);
  }
  return CheckStoredRepositorySpec(spec);
}

bool HasConnectionSettings(std::string_view spec) {
  return IsRclone(spec) && SettingsStart(spec.substr(kRclone.size())) != std::string_view::npos;
}

std::string RedactedRepositorySpec(std::string_view spec) {
  if (!IsRclone(spec)) return std::string(spec);
  const std::string_view remote = spec.substr(kRclone.size());
  // On the fly (":backend,settings:path"): the backend's name, then the same rule.
  const size_t offset = remote.starts_with(':') ? 1 : 0;
  const std::string_view named = remote.substr(offset);
  const size_t settings = SettingsStart(named);
  if (settings == std::string_view::npos) return std::string(spec);
  const size_t colon = named.find(':');
  return fmt::format("{}{}{},...{}", kRclone, remote.substr(0, offset), named.substr(0, settings),
                     colon == std::string_view::npos ? "" : named.substr(colon));
}

}  // namespace mysqlset
