#include "tests/robustness/robustness_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "posix/subprocess.h"

namespace mysqlset::testing {

Outcome RunCmd(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               double timeout_s) {
  // The child inherits the environment: set the overrides around the spawn, then restore.
  std::map<std::string, std::optional<std::string>> saved;
  for (const auto& kv : env) {
    const std::string name = kv.substr(0, kv.find('='));
    const std::string value = kv.substr(kv.find('=') + 1);
    const char* old = std::getenv(name.c_str());
    saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
    if (value.empty()) {
      unsetenv(name.c_str());
    } else {
      setenv(name.c_str(), value.c_str(), 1);
    }
  }
  char path[] = "/tmp/mysqlset-robustness-out-XXXXXX";
  const int fd = mkstemp(path);
  auto child = Subprocess::Spawn(argv, {-1, fd, -1});
  close(fd);
  for (const auto& [name, value] : saved) {
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
  Outcome o;
  if (!child.ok()) {
    o.exit_code = -2;
    o.output = child.status().message();
    unlink(path);
    return o;
  }
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  int code = 0;
  int sig = 0;
  while (!child->TryWait(&code, &sig)) {
    if (std::chrono::steady_clock::now() > until) {
      child->Kill(SIGKILL);
      child->Wait();
      o.exit_code = -1;
      o.signal = SIGKILL;
      o.output = ReadFileOrEmpty(path) + "\n[test: killed after timeout]";
      unlink(path);
      return o;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  o.exit_code = code;
  o.signal = sig;
  o.output = ReadFileOrEmpty(path);
  unlink(path);
  return o;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(line);
  }
  return out;
}

std::vector<std::string> SecretValuesOf(const Secrets& s) {
  return {s.admin_password,   s.replication_password, s.backup_password,
          s.monitor_password, s.backup_token,         s.app_password};
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SnapshotTree(const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> files;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return "(absent)";
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string p = it->path().string();
    files[p] = it->is_regular_file() ? ReadFileOrEmpty(p) : std::string("(dir)");
  }
  std::string out;
  for (const auto& [p, c] : files) out += p + '\0' + c + '\n';
  return out;
}

}  // namespace mysqlset::testing
