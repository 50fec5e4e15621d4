#include "agent/datadir_template.h"

#include <unistd.h>

#include <cstdlib>
#include <map>

#include "core/datadir_template.h"
#include "fmt/format.h"
#include "mariadb/tools.h"
#include "net/backup_protocol.h"

namespace mysqlset {
namespace {

constexpr const char* kManifest = "manifest";
constexpr const char* kData = "data";

std::string Digest(const std::string& contents) {
  net::Sha256 sha;
  sha.Update(contents);
  return sha.HexDigest();
}

// Every regular file under `root`, by path relative to it, with its contents.
Status ReadTree(const FileSystem& fs, const std::string& root, const std::string& rel,
                std::map<std::string, std::string>& out, int depth = 0) {
  if (depth > 4) return DataLoss("{}: nested too deep for a datadir", root);
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  ASSIGN_OR_RETURN(auto names, fs.ListDir(dir));
  for (const std::string& name : names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    if (fs.IsDirectory(root + "/" + child)) {
      RETURN_IF_ERROR(ReadTree(fs, root, child, out, depth + 1));
    } else {
      ASSIGN_OR_RETURN(out[child], fs.ReadFile(root + "/" + child));
    }
  }
  return Status::Ok();
}

// The template becomes the primary's system tables: one that someone else could have written
// is not used (a planted account would survive, being none the securing step drops).
Status CheckTrusted(const FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(FileInfo info, fs.StatFile(path));
  if (!info.owned_by_self || (info.mode & 022) != 0) {
    return FailedPrecondition(
        "{} is not ours alone (owned by another user, or writable by "
        "others); not using it",
        path);
  }
  return Status::Ok();
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

Status WriteTree(FileSystem& fs, const std::map<std::string, std::string>& files,
                 const std::string& root) {
  for (const auto& [rel, contents] : files) {
    const std::string path = root + "/" + rel;
    RETURN_IF_ERROR(fs.MakeDirs(Parent(path), 0700));
    RETURN_IF_ERROR(fs.WriteFileAtomic(path, contents, 0660));
  }
  return Status::Ok();
}

}  // namespace

std::string DefaultTemplateCacheDir() {
  if (const char* v = std::getenv("MYSQLSET_TEMPLATE_CACHE")) {
    const std::string dir = v;
    return dir == "off" ? "" : dir;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') {
    return std::string(xdg) + "/mysqlset/datadir-templates";
  }
  if (const char* home = std::getenv("HOME"); home && *home == '/') {
    return std::string(home) + "/.cache/mysqlset/datadir-templates";
  }
  return "";
}

Result<std::string> CurrentTemplateKey(ProcessRunner& runner,
                                       const std::vector<std::string>& install_options) {
  ProcessSpec spec;
  spec.argv = {tools::kMariadbd, "--version"};
  spec.timeout = std::chrono::seconds(30);
  ASSIGN_OR_RETURN(ProcessResult r, runner.Run(spec));
  if (!r.ok()) return Unavailable("{} --version failed (exit {})", tools::kMariadbd, r.exit_code);
  return TemplateKey(r.output, install_options);
}

Status CopyTemplateInto(FileSystem& fs, const std::string& cache_dir, const std::string& key,
                        const std::string& staging) {
  const std::string dir = cache_dir + "/" + key;
  if (!fs.Exists(dir + "/" + kManifest)) return NotFound("no template at {}", dir);
  RETURN_IF_ERROR(CheckTrusted(fs, cache_dir));
  RETURN_IF_ERROR(CheckTrusted(fs, dir));
  std::map<std::string, std::string> files;
  Status st = [&]() -> Status {
    ASSIGN_OR_RETURN(std::string text, fs.ReadFile(dir + "/" + kManifest));
    ASSIGN_OR_RETURN(TemplateManifest m, ParseManifest(text));
    RETURN_IF_ERROR(ReadTree(fs, dir + "/" + kData, "", files));
    std::vector<TemplateFile> found;
    for (const auto& [rel, contents] : files)
      found.push_back({rel, contents.size(), Digest(contents)});
    return VerifyTemplate(m, key, std::move(found));
  }();
  if (st.code() == StatusCode::kDataLoss) (void)fs.RemoveAll(dir);  // made again next time
  if (!st.ok()) return st.Annotate(dir);
  return WriteTree(fs, files, staging);
}

Status SaveTemplate(FileSystem& fs, const std::string& datadir, const std::string& cache_dir,
                    const std::string& key) {
  const std::string dir = cache_dir + "/" + key;
  if (fs.Exists(dir)) return Status::Ok();
  std::map<std::string, std::string> files;
  RETURN_IF_ERROR(ReadTree(fs, datadir, "", files));
  TemplateManifest m{key, {}};
  for (const auto& [rel, contents] : files)
    m.files.push_back({rel, contents.size(), Digest(contents)});
  // Checked as a reader would: a file name the manifest cannot hold is no template.
  ASSIGN_OR_RETURN(TemplateManifest parsed, ParseManifest(RenderManifest(m)));
  const std::string tmp = fmt::format("{}/.{}.tmp.{}", cache_dir, key, getpid());
  RETURN_IF_ERROR(fs.RemoveAll(tmp));
  Status st = WriteTree(fs, files, tmp + "/" + kData);
  if (st.ok()) st = fs.WriteFileAtomic(tmp + "/" + kManifest, RenderManifest(parsed), 0600);
  if (st.ok() && !fs.Exists(dir)) st = fs.Rename(tmp, dir);
  (void)fs.RemoveAll(tmp);
  return st.Annotate("save the datadir template " + dir);
}

}  // namespace mysqlset
