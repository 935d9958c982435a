// ConfigStore: authctl's named connection profiles (host, token, default org), one of them active,
// kept in one file the way `influx` keeps ~/.influxdbv2/configs. The file holds tokens, so it is
// always written with mode 0600, atomically (a temp file in the same directory, fsync, rename,
// fsync of the directory), and its parent directory is created with mode 0700.
//
// File format (a TOML subset: one table per profile, sorted by name, strings double-quoted with
// `\"`, `\\`, `\n`, `\r`, `\t` and `\u00XX` escapes; `#` starts a comment line):
//
//   # authctl connection profiles (mode 0600: holds tokens)
//   [default]                      <- profile name: 1-64 of [A-Za-z0-9_-]
//     host = "127.0.0.1:50051"     <- gRPC target
//     token = "authd_..."          <- operator, API or session token; may be empty
//     org = "acme"                 <- default org name; may be empty
//     active = true                <- at most one profile is active
//
// Unknown keys are rejected, so a typo never silently drops a setting. Not thread-safe; one
// authctl process is expected to use one store at a time (the rename makes every write atomic).
#ifndef AUTHD_CLI_CONFIG_STORE_H_
#define AUTHD_CLI_CONFIG_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::cli {

struct Profile {
  std::string name;
  // gRPC target, e.g. `127.0.0.1:50051`.
  std::string host;
  // The token authctl sends; never printed by authctl.
  std::string token;
  // Default org name for commands that take `--org`.
  std::string org;
  bool active = false;

  friend bool operator==(const Profile& a, const Profile& b) {
    return a.name == b.name && a.host == b.host && a.token == b.token && a.org == b.org &&
           a.active == b.active;
  }
};

// What `ConfigStore::Update` changes: only the fields that are set.
struct ProfileUpdate {
  std::string name;
  std::optional<std::string> host;
  std::optional<std::string> token;
  std::optional<std::string> org;
  // true makes the profile the active one; false leaves the active flag alone.
  bool activate = false;
};

// kInvalidArgument "\"<name>\" is not a valid config name" unless `name` is 1-64 of [A-Za-z0-9_-].
absl::Status ValidateProfileName(absl::string_view name);

// Parses the file format above. Errors: kInvalidArgument "<path>:<line>: <what>" (the message never
// quotes a value, which may be a token); a duplicate profile name; more than one active profile.
absl::StatusOr<std::vector<Profile>> ParseProfiles(absl::string_view text, absl::string_view path);

// Renders profiles in the file format above, sorted by name.
std::string SerializeProfiles(std::vector<Profile> profiles);

class ConfigStore {
 public:
  explicit ConfigStore(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // Every profile, sorted by name; empty when the file does not exist.
  // Errors: kInvalidArgument (malformed file), kUnavailable (unreadable file).
  absl::StatusOr<std::vector<Profile>> List() const;

  // The profile named `name`. Errors: kNotFound "config \"<name>\" is not found", List's errors.
  absl::StatusOr<Profile> Get(absl::string_view name) const;

  // The active profile, or nullopt when there is none. Errors: List's errors.
  absl::StatusOr<std::optional<Profile>> Active() const;

  // Adds `profile`. It becomes the active one when `profile.active` or when no other is active.
  // Errors: kInvalidArgument (bad name), kAlreadyExists "config \"<name>\" already exists", and
  // Save's errors.
  absl::StatusOr<Profile> Create(Profile profile);

  // Applies `update`. Errors: kNotFound "config \"<name>\" is not found", Save's errors.
  absl::StatusOr<Profile> Update(const ProfileUpdate& update);

  // Makes `name` the only active profile. Errors: as Update.
  absl::StatusOr<Profile> SetActive(absl::string_view name);

  // Removes `name` and returns it; when it was active, the first remaining profile (by name)
  // becomes active. Errors: as Update.
  absl::StatusOr<Profile> Remove(absl::string_view name);

  // Replaces the whole file atomically with mode 0600. Errors: kUnavailable naming the path and the
  // OS error; on any error the previous file is left untouched.
  absl::Status Save(const std::vector<Profile>& profiles) const;

 private:
  std::string path_;
};

}  // namespace authd::cli

#endif  // AUTHD_CLI_CONFIG_STORE_H_
