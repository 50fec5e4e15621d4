#pragma once
// Running helper programs (mariadb-install-db, mariabackup, mariadbd --bootstrap).
// Secrets go through stdin or 0600 files, never through argv.

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace mysqlset {

struct ProcessSpec {
  std::vector<std::string> argv;
  std::string stdin_data;   // written to the child's stdin, then closed
  std::string output_file;  // if set, stdout+stderr are appended here instead of captured
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal
  int term_signal = 0;  // the signal, when killed
  std::string output;   // stdout+stderr (capped), when no output_file
  bool ok() const { return exit_code == 0; }
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs to completion (or kills at the timeout, returning kDeadlineExceeded).
  virtual Result<ProcessResult> Run(const ProcessSpec& spec) = 0;
};

}  // namespace mysqlset
