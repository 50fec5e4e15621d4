#pragma once
// Logging setup. Everything logs through spdlog's default logger to stderr, one line per
// event, so a supervisor or kubelet can capture it. Never log a secret.
// Timestamps are UTC with the zone ("2026-11-30T01:02:03.456Z"). Two formats: "text"
// ("<time> <level> [<component>] <message>") and "json" (one object per line:
// {"time":...,"level":...,"component":...,"msg":...}).

#include <string>
#include <string_view>

#include "spdlog/spdlog.h"

namespace mysqlset {

// The values --log-level and --log-format accept.
inline constexpr const char* kLogLevels[] = {"trace", "debug",    "info", "warn",
                                             "error", "critical", "off"};
inline constexpr const char* kLogFormats[] = {"text", "json"};

// The format SetUpLogging uses when given none: set from --log-format (or
// $MYSQLSET_LOG_FORMAT) as the flag is parsed. "text" until then.
void SetDefaultLogFormat(std::string_view format);

// Sets the default logger's name (shown in each line), level ("debug", "info", ...) and
// format ("text" or "json"; empty: the default above).
void SetUpLogging(std::string_view component, std::string_view level = "info",
                  std::string_view format = "");

// The spdlog pattern of a format, for tests.
std::string LogPattern(std::string_view format);

}  // namespace mysqlset
