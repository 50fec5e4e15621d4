#pragma once
// Logging setup. Everything logs through spdlog's default logger to stderr, one line per
// event, so a supervisor or kubelet can capture it. Never log a secret.

#include <string_view>

#include "spdlog/spdlog.h"

namespace mysqlset {

// Sets the default logger's name (shown in each line) and level ("debug", "info", ...).
void SetUpLogging(std::string_view component, std::string_view level = "info");

}  // namespace mysqlset
