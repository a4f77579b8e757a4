#include "project/grant_paths.h"

#include <sys/stat.h>

#include <optional>

#include "base/units.h"

namespace naos::project {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWhyDataIsNotGrantable =
    "data/ is the host's (database, keys, compiled modules) and is never granted to an agent";

struct Identity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const Identity&) const = default;
};

std::optional<Identity> identify(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return Identity{info.st_dev, info.st_ino};
}

// `inner` is `outer` or below it, comparing canonical paths.
bool is_within(const fs::path& inner, const fs::path& outer) {
  fs::path relative = inner.lexically_relative(outer);
  return !relative.empty() && *relative.begin() != "..";
}

// Whether `path` or one of its ancestors up to (not including) `stop` has
// the identity `wanted`: the same folder reached by another name.
bool has_ancestor(fs::path path, const fs::path& stop, const Identity& wanted) {
  while (!path.empty() && path != stop) {
    if (identify(path) == wanted) return true;
    if (path == path.parent_path()) break;
    path = path.parent_path();
  }
  return false;
}

}  // namespace

std::string grant_spelling_problem(std::string_view folder) {
  fs::path path{std::string(folder)};
  if (folder.empty() || path.is_absolute()) return "must be a folder inside the project (relative, without ..)";
  for (const auto& part : path) {
    if (part == "..") return "must be a folder inside the project (relative, without ..)";
  }
  fs::path normal = path.lexically_normal();
  if (normal.empty() || normal == "." || normal == "./") {
    return "is the project root, which holds data/: grant a folder inside the project instead";
  }
  if (ascii_lowercase((*normal.begin()).string()) == kHostDataFolder) return kWhyDataIsNotGrantable;
  return {};
}

Result<fs::path> resolve_grant(const fs::path& root, std::string_view folder) {
  if (std::string problem = grant_spelling_problem(folder); !problem.empty()) {
    return Error(Code::kInvalidArgument, problem);
  }
  std::error_code ec;
  fs::path project = fs::canonical(root, ec);
  if (ec) return Error(Code::kNotFound, "the project folder cannot be resolved: " + ec.message());
  fs::path target = fs::canonical(project / std::string(folder), ec);
  if (ec) return Error(Code::kNotFound, "does not exist in the project");
  if (!fs::is_directory(target, ec)) return Error(Code::kNotFound, "is not a folder");

  if (target == project) {
    return Error(Code::kPermissionDenied, "resolves to the project root, which holds data/");
  }
  if (!is_within(target, project)) {
    return Error(Code::kPermissionDenied, "resolves outside the project (to " + target.string() + ")");
  }
  // The first folder under the root, as resolved: `Data` reached through a
  // symlink spelled otherwise is still data/ on a case-insensitive disk.
  fs::path relative = target.lexically_relative(project);
  if (ascii_lowercase((*relative.begin()).string()) == kHostDataFolder) {
    return Error(Code::kPermissionDenied, std::string("resolves into data/: ") + kWhyDataIsNotGrantable);
  }
  // data/ itself may be a symlink (to another disk): compare with where it
  // really is, by path and by identity.
  fs::path data = fs::weakly_canonical(project / kHostDataFolder, ec);
  if (!ec) {
    if (is_within(target, data) || is_within(data, target)) {
      return Error(Code::kPermissionDenied, std::string("resolves to or around data/: ") + kWhyDataIsNotGrantable);
    }
    if (auto data_id = identify(data)) {
      auto target_id = identify(target);
      if (has_ancestor(target, project, *data_id) || (target_id && has_ancestor(data, fs::path("/"), *target_id))) {
        return Error(Code::kPermissionDenied, std::string("is data/ by another name: ") + kWhyDataIsNotGrantable);
      }
    }
  }
  return target;
}

}  // namespace naos::project
