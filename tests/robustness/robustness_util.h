#pragma once
// Helpers for the bad-input tests: run the real binary and check the contract every bad
// input must meet — one clear error line, a non-zero exit, no crash, no secret in the output.

#include <string>
#include <vector>

#include "core/accounts.h"

namespace mysqlset::testing {

struct Outcome {
  int exit_code = 0;  // -1 when killed by a signal
  int signal = 0;
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv with `env` ("NAME=VALUE"; "NAME=" unsets NAME) added to this process's
// environment, waits at most `timeout_s`, and captures the output.
Outcome RunCmd(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
               double timeout_s = 60);

// The lines of `text` that are not empty.
std::vector<std::string> Lines(const std::string& text);

// Every secret value of `s`.
std::vector<std::string> SecretValuesOf(const Secrets& s);

std::string ReadFileOrEmpty(const std::string& path);
// Every file under `dir` with its contents, "path\0contents\n" per file, sorted: equal
// snapshots mean nothing was written, renamed or lost.
std::string SnapshotTree(const std::string& dir);

}  // namespace mysqlset::testing

// Asserts the contract for a refused command: exit code `code` (or any non-zero when 0), no
// signal, exactly one output line, which starts with `prefix` and contains `needle`.
#define EXPECT_ONE_ERROR_LINE(outcome, code, prefix, needle)   \
  do {                                                         \
    const auto& _o = (outcome);                                \
    EXPECT_EQ(_o.signal, 0) << _o.output;                      \
    if ((code) == 0) {                                         \
      EXPECT_NE(_o.exit_code, 0) << _o.output;                 \
    } else {                                                   \
      EXPECT_EQ(_o.exit_code, (code)) << _o.output;            \
    }                                                          \
    const auto _lines = ::mysqlset::testing::Lines(_o.output); \
    EXPECT_EQ(_lines.size(), 1u) << _o.output;                 \
    if (!_lines.empty()) {                                     \
      EXPECT_TRUE(_lines[0].starts_with(prefix)) << _o.output; \
      EXPECT_NE(_lines[0].find(needle), std::string::npos)     \
          << "want '" << (needle) << "' in " << _o.output;     \
    }                                                          \
  } while (0)
