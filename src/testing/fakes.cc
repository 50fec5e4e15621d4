#include "testing/fakes.h"

namespace mysqlset {
namespace {
bool Under(const std::string& path, const std::string& dir) {
  return path == dir || path.rfind(dir + "/", 0) == 0;
}
// Re-keys the entries at or under `from` to the same place under `to`.
template <typename V>
void MoveUnder(std::map<std::string, V>& m, const std::string& from, const std::string& to) {
  std::map<std::string, V> moved;
  for (auto it = m.begin(); it != m.end();) {
    if (Under(it->first, from)) {
      moved[to + it->first.substr(from.size())] = it->second;
      it = m.erase(it);
    } else {
      ++it;
    }
  }
  m.merge(moved);
}
}  // namespace

Result<std::string> MemFileSystem::ReadFile(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound("read {}: No such file or directory", path);
  return it->second;
}

Status MemFileSystem::WriteFileAtomic(const std::string& path, const std::string& contents,
                                      mode_t mode) {
  files_[path] = contents;
  modes_[path] = mode;
  ++writes_;
  return Status::Ok();
}

bool MemFileSystem::Exists(const std::string& path) const {
  return files_.count(path) || dirs_.count(path);
}

Result<FileInfo> MemFileSystem::StatFile(const std::string& path) const {
  if (dirs_.count(path)) return FileInfo{0755, !owned_by_other_.count(path)};
  auto it = modes_.find(path);
  if (it == modes_.end()) return NotFound("stat {}: No such file or directory", path);
  return FileInfo{it->second, !owned_by_other_.count(path)};
}

bool MemFileSystem::IsDirectory(const std::string& path) const { return dirs_.count(path) > 0; }

Status MemFileSystem::MakeDirs(const std::string& path, mode_t) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    dirs_.insert(path.substr(0, pos));
  }
  dirs_.insert(path);
  return Status::Ok();
}

Status MemFileSystem::Rename(const std::string& from, const std::string& to) {
  if (!Exists(from)) return NotFound("rename {}: No such file or directory", from);
  MoveUnder(files_, from, to);
  MoveUnder(modes_, from, to);
  std::set<std::string> dirs;
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (Under(*it, from)) {
      dirs.insert(to + it->substr(from.size()));
      it = dirs_.erase(it);
    } else {
      ++it;
    }
  }
  dirs_.merge(dirs);
  return Status::Ok();
}

Status MemFileSystem::RemoveAll(const std::string& path) {
  std::erase_if(files_, [&](const auto& kv) { return Under(kv.first, path); });
  std::erase_if(modes_, [&](const auto& kv) { return Under(kv.first, path); });
  std::erase_if(dirs_, [&](const auto& d) { return Under(d, path); });
  return Status::Ok();
}

Result<uint64_t> MemFileSystem::TreeBytes(const std::string& path) const {
  if (!Exists(path)) return NotFound("stat {}: No such file or directory", path);
  uint64_t total = 0;
  for (const auto& [p, contents] : files_) {
    if (Under(p, path)) total += contents.size();
  }
  return total;
}

Result<std::vector<std::string>> MemFileSystem::ListDir(const std::string& path) const {
  if (!IsDirectory(path)) return NotFound("list {}: No such file or directory", path);
  std::set<std::string> names;
  auto add = [&](const std::string& p) {
    if (p.rfind(path + "/", 0) == 0) {
      const std::string rest = p.substr(path.size() + 1);
      names.insert(rest.substr(0, rest.find('/')));
    }
  };
  for (const auto& kv : files_) add(kv.first);
  for (const auto& d : dirs_) add(d);
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace mysqlset
