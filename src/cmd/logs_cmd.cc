// `mysqlset logs`: print a local cluster's logs without knowing their layout: the
// supervisor's (default), HAProxy's, or a member's init, clone, mariadbd and agent logs.
// -n keeps the last lines; -f then follows the files as they grow (and as the log cap
// truncates them), like `tail -f`, until interrupted.

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "local/cluster_dir.h"
#include "local/member_lookup.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

struct LogsFlags {
  std::string dir = "./mysqlset-data";
  std::string member;
  std::string component;
  bool follow = false;
  int lines = 0;  // 0: all
};

// The last `lines` lines of `text` (all when 0).
std::string_view LastLines(std::string_view text, int lines) {
  if (lines <= 0) return text;
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int n = 0; n < lines; ++n) {
    const size_t nl = text.rfind('\n', pos == 0 ? 0 : pos - 1);
    if (nl == std::string_view::npos || pos == 0) return text;
    pos = nl;
  }
  return text.substr(pos + 1);
}

// Size of `path`, or -1 when it does not exist (yet).
int64_t SizeOf(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

std::string ReadFrom(const std::string& path, int64_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int RunLogs(const LogsFlags& f) {
  PosixFileSystem fs;
  const local::ClusterPaths paths(Absolute(f.dir));
  auto spec = local::LoadSpec(fs, paths);
  if (!spec.ok()) return ReportError("logs", spec.status());
  auto files = local::LogFilesFor(*spec, paths, f.member, f.component);
  if (!files.ok()) return ReportError("logs", files.status());
  const bool many = files->size() > 1;
  if (!many && SizeOf(files->front()) < 0 && !f.follow) {
    return ReportError("logs",
                       NotFound("no log yet at {} (that step has not run)", files->front()));
  }
  std::vector<int64_t> offsets;
  for (const auto& file : *files) {
    const int64_t size = SizeOf(file);
    offsets.push_back(size < 0 ? 0 : size);
    if (size < 0) {
      if (many) std::printf("==> %s: none yet <==\n", file.c_str());
      continue;
    }
    if (many) std::printf("==> %s <==\n", file.c_str());
    const std::string text = ReadFrom(file, 0);
    offsets.back() = static_cast<int64_t>(text.size());
    const std::string_view tail = LastLines(text, f.lines);
    std::fwrite(tail.data(), 1, tail.size(), stdout);
    if (many && !tail.empty() && tail.back() != '\n') std::fputs("\n", stdout);
  }
  std::fflush(stdout);
  if (!f.follow) return 0;
  size_t last = files->size() - 1;  // the file whose text was printed last
  for (;;) {                        // until interrupted, like tail -f
    for (size_t i = 0; i < files->size(); ++i) {
      const int64_t size = SizeOf((*files)[i]);
      if (size < 0 || size == offsets[i]) continue;
      if (size < offsets[i]) {
        std::printf("==> %s: truncated (log cap; the older part is in %s.1) <==\n",
                    (*files)[i].c_str(), (*files)[i].c_str());
        offsets[i] = 0;
        last = i;
      }
      const std::string more = ReadFrom((*files)[i], offsets[i]);
      if (more.empty()) continue;
      if (many && last != i) std::printf("==> %s <==\n", (*files)[i].c_str());
      last = i;
      std::fwrite(more.data(), 1, more.size(), stdout);
      offsets[i] += static_cast<int64_t>(more.size());
    }
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

Action AddLogsCommand(CLI::App& app) {
  auto f = std::make_shared<LogsFlags>();
  app.add_option("NAME", f->member,
                 "A member (NAME-N, or N): its init, clone, mariadbd and agent logs. Without it: "
                 "the supervisor's log");
  AddClusterDirFlag(app, f->dir);
  app.add_option("--component", f->component,
                 "Only this log: init, clone, mariadbd or agent (of NAME); supervisor or haproxy "
                 "(without NAME)")
      ->check(CLI::IsMember({"init", "clone", "mariadbd", "agent", "supervisor", "haproxy"}));
  app.add_flag("-f,--follow", f->follow, "Keep printing what is appended, until interrupted");
  app.add_option("-n,--lines", f->lines, "Print only the last N lines of each log first")
      ->check(CLI::Range(1, 100000000));
  return [f]() { return RunLogs(*f); };
}

}  // namespace mysqlset::cmd
