#include "local/log_cap.h"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "spdlog/spdlog.h"

namespace mysqlset::local {
namespace fs = std::filesystem;

std::vector<std::string> ClusterLogFiles(const ClusterPaths& paths) {
  std::vector<std::string> files;
  std::error_code ec;
  auto add_logs_in = [&](const fs::path& dir) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".log" && e.is_regular_file(ec)) files.push_back(e.path());
    }
  };
  add_logs_in(paths.dir());
  for (const auto& member : fs::directory_iterator(paths.members_dir(), ec)) {
    add_logs_in(member.path() / "logs");
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<bool> CapLogFile(const std::string& path, uint64_t cap_bytes) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec || size <= cap_bytes) return false;
  const std::string old = path + ".1";
  fs::copy_file(path, old, fs::copy_options::overwrite_existing, ec);
  if (ec) return Internal("copy {} to {}: {}", path, old, ec.message());
  fs::resize_file(path, 0, ec);
  if (ec) return Internal("truncate {}: {}", path, ec.message());
  return true;
}

LogCapper::LogCapper(ClusterPaths paths, uint64_t cap_bytes, std::chrono::milliseconds period)
    : paths_(std::move(paths)), cap_bytes_(cap_bytes) {
  thread_ = std::jthread([this, period](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    while (!stop.stop_requested()) {
      RunOnce();
      cv.wait_for(lock, stop, period, [] { return false; });
    }
  });
}

LogCapper::~LogCapper() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void LogCapper::RunOnce() {
  for (const auto& file : ClusterLogFiles(paths_)) {
    auto rotated = CapLogFile(file, cap_bytes_);
    if (!rotated.ok()) {
      spdlog::warn("log cap: {}", rotated.status().message());
    } else if (*rotated) {
      spdlog::info("log cap: {} passed {} MiB; the older part is in {}.1", file, cap_bytes_ >> 20,
                   file);
    }
  }
}

}  // namespace mysqlset::local
