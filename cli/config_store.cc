#include "cli/config_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace authd::cli {
namespace {

constexpr size_t kMaxProfileName = 64;

absl::Status LineError(absl::string_view path, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

// Parses a double-quoted string at the start of `in`; the rest must be blank or a comment.
// Returns nullopt on any error (the caller reports the line, never the value).
std::optional<std::string> Unquote(absl::string_view in) {
  if (in.empty() || in[0] != '"') return std::nullopt;
  std::string out;
  size_t i = 1;
  for (; i < in.size(); ++i) {
    char c = in[i];
    if (c == '"') break;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= in.size()) return std::nullopt;
    switch (in[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        if (i + 4 >= in.size()) return std::nullopt;
        unsigned value = 0;
        for (int k = 1; k <= 4; ++k) {
          char h = in[i + k];
          if (!absl::ascii_isxdigit(static_cast<unsigned char>(h))) return std::nullopt;
          value = value * 16 + (absl::ascii_isdigit(static_cast<unsigned char>(h))
                                    ? h - '0'
                                    : absl::ascii_tolower(static_cast<unsigned char>(h)) - 'a' + 10);
        }
        if (value > 0x7f) return std::nullopt;  // authctl only writes ASCII control escapes
        out += static_cast<char>(value);
        i += 4;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  if (i >= in.size()) return std::nullopt;  // no closing quote
  absl::string_view rest = absl::StripAsciiWhitespace(in.substr(i + 1));
  if (!rest.empty() && rest[0] != '#') return std::nullopt;
  return out;
}

absl::Status Errno(absl::string_view what, absl::string_view path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// mkdir -p for the parent of `path`; directories authctl creates get mode 0700.
absl::Status MakeParentDirs(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return absl::OkStatus();
  std::string dir = path.substr(0, slash);
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Errno("cannot create directory", prefix);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateProfileName(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxProfileName;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') ok = false;
  }
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not a valid config name"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Profile>> ParseProfiles(absl::string_view text, absl::string_view path) {
  std::vector<Profile> profiles;
  std::vector<std::string> seen_keys;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      size_t close = line.find(']');
      if (close == absl::string_view::npos) return LineError(path, line_number, "unterminated [profile]");
      absl::string_view after = absl::StripAsciiWhitespace(line.substr(close + 1));
      if (!after.empty() && after[0] != '#') {
        return LineError(path, line_number, "unexpected text after [profile]");
      }
      absl::string_view name = absl::StripAsciiWhitespace(line.substr(1, close - 1));
      if (absl::Status s = ValidateProfileName(name); !s.ok()) {
        return LineError(path, line_number, s.message());
      }
      for (const Profile& p : profiles) {
        if (p.name == name) {
          return LineError(path, line_number, absl::StrCat("duplicate config \"", name, "\""));
        }
      }
      Profile profile;
      profile.name = std::string(name);
      profiles.push_back(std::move(profile));
      seen_keys.clear();
      continue;
    }
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return LineError(path, line_number, "expected key = value");
    std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (profiles.empty()) return LineError(path, line_number, "key outside a [profile]");
    if (std::find(seen_keys.begin(), seen_keys.end(), key) != seen_keys.end()) {
      return LineError(path, line_number, absl::StrCat("duplicate key \"", key, "\""));
    }
    seen_keys.push_back(key);
    Profile& p = profiles.back();
    if (key == "active") {
      absl::string_view word = value.substr(0, value.find('#'));
      word = absl::StripAsciiWhitespace(word);
      if (word == "true") {
        p.active = true;
      } else if (word == "false") {
        p.active = false;
      } else {
        return LineError(path, line_number, "active: want true or false");
      }
      continue;
    }
    std::string* field = key == "host"    ? &p.host
                         : key == "token" ? &p.token
                         : key == "org"   ? &p.org
                                          : nullptr;
    if (field == nullptr) return LineError(path, line_number, absl::StrCat("unknown key \"", key, "\""));
    std::optional<std::string> parsed = Unquote(value);
    if (!parsed.has_value()) {
      return LineError(path, line_number, absl::StrCat(key, ": want a double-quoted string"));
    }
    *field = *std::move(parsed);
  }
  int active = 0;
  for (const Profile& p : profiles) active += p.active ? 1 : 0;
  if (active > 1) return absl::InvalidArgumentError(absl::StrCat(path, ": more than one active config"));
  std::sort(profiles.begin(), profiles.end(),
            [](const Profile& a, const Profile& b) { return a.name < b.name; });
  return profiles;
}

std::string SerializeProfiles(std::vector<Profile> profiles) {
  std::sort(profiles.begin(), profiles.end(),
            [](const Profile& a, const Profile& b) { return a.name < b.name; });
  std::string out = "# authctl connection profiles (mode 0600: holds tokens)\n";
  for (const Profile& p : profiles) {
    absl::StrAppend(&out, "[", p.name, "]\n");
    absl::StrAppend(&out, "  host = ", Quote(p.host), "\n");
    absl::StrAppend(&out, "  token = ", Quote(p.token), "\n");
    absl::StrAppend(&out, "  org = ", Quote(p.org), "\n");
    absl::StrAppend(&out, "  active = ", p.active ? "true" : "false", "\n");
  }
  return out;
}

absl::StatusOr<std::vector<Profile>> ConfigStore::List() const {
  int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<Profile>{};
    return Errno("cannot read", path_);
  }
  std::string text;
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("cannot read", path_);
      close(fd);
      return s;
    }
    if (n == 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return ParseProfiles(text, path_);
}

absl::StatusOr<Profile> ConfigStore::Get(absl::string_view name) const {
  absl::StatusOr<std::vector<Profile>> profiles = List();
  if (!profiles.ok()) return profiles.status();
  for (const Profile& p : *profiles) {
    if (p.name == name) return p;
  }
  return absl::NotFoundError(absl::StrCat("config \"", name, "\" is not found"));
}

absl::StatusOr<std::optional<Profile>> ConfigStore::Active() const {
  absl::StatusOr<std::vector<Profile>> profiles = List();
  if (!profiles.ok()) return profiles.status();
  for (const Profile& p : *profiles) {
    if (p.active) return std::optional<Profile>(p);
  }
  return std::optional<Profile>();
}

absl::StatusOr<Profile> ConfigStore::Create(Profile profile) {
  if (absl::Status s = ValidateProfileName(profile.name); !s.ok()) return s;
  absl::StatusOr<std::vector<Profile>> profiles = List();
  if (!profiles.ok()) return profiles.status();
  bool any_active = false;
  for (const Profile& p : *profiles) {
    if (p.name == profile.name) {
      return absl::AlreadyExistsError(absl::StrCat("config \"", profile.name, "\" already exists"));
    }
    any_active = any_active || p.active;
  }
  if (!any_active) profile.active = true;
  if (profile.active) {
    for (Profile& p : *profiles) p.active = false;
  }
  profiles->push_back(profile);
  if (absl::Status s = Save(*profiles); !s.ok()) return s;
  return profile;
}

absl::StatusOr<Profile> ConfigStore::Update(const ProfileUpdate& update) {
  absl::StatusOr<std::vector<Profile>> profiles = List();
  if (!profiles.ok()) return profiles.status();
  auto it = std::find_if(profiles->begin(), profiles->end(),
                         [&](const Profile& p) { return p.name == update.name; });
  if (it == profiles->end()) {
    return absl::NotFoundError(absl::StrCat("config \"", update.name, "\" is not found"));
  }
  if (update.host.has_value()) it->host = *update.host;
  if (update.token.has_value()) it->token = *update.token;
  if (update.org.has_value()) it->org = *update.org;
  if (update.activate) {
    for (Profile& p : *profiles) p.active = p.name == update.name;
  }
  Profile result = *it;
  if (absl::Status s = Save(*profiles); !s.ok()) return s;
  return result;
}

absl::StatusOr<Profile> ConfigStore::SetActive(absl::string_view name) {
  ProfileUpdate update;
  update.name = std::string(name);
  update.activate = true;
  return Update(update);
}

absl::StatusOr<Profile> ConfigStore::Remove(absl::string_view name) {
  absl::StatusOr<std::vector<Profile>> profiles = List();
  if (!profiles.ok()) return profiles.status();
  auto it = std::find_if(profiles->begin(), profiles->end(),
                         [&](const Profile& p) { return p.name == name; });
  if (it == profiles->end()) {
    return absl::NotFoundError(absl::StrCat("config \"", name, "\" is not found"));
  }
  Profile removed = *it;
  profiles->erase(it);
  if (removed.active && !profiles->empty()) profiles->front().active = true;
  if (absl::Status s = Save(*profiles); !s.ok()) return s;
  return removed;
}

absl::Status ConfigStore::Save(const std::vector<Profile>& profiles) const {
  if (absl::Status s = MakeParentDirs(path_); !s.ok()) return s;
  size_t slash = path_.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  std::string temp = absl::StrCat(dir, "/.", base, ".tmp.XXXXXX");
  std::vector<char> buf(temp.begin(), temp.end());
  buf.push_back('\0');
  // mkstemp creates the file with mode 0600 and O_EXCL: the token never sits in a readable file.
  int fd = mkstemp(buf.data());
  if (fd < 0) return Errno("cannot create a temporary file in", dir);
  temp = buf.data();
  auto fail = [&](absl::string_view what) {
    absl::Status s = Errno(what, temp);
    close(fd);
    unlink(temp.c_str());
    return s;
  };
  if (fchmod(fd, 0600) != 0) return fail("cannot chmod");
  const std::string text = SerializeProfiles(profiles);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("cannot sync");
  if (close(fd) != 0) {
    absl::Status s = Errno("cannot close", temp);
    unlink(temp.c_str());
    return s;
  }
  if (rename(temp.c_str(), path_.c_str()) != 0) {
    absl::Status s = Errno("cannot replace", path_);
    unlink(temp.c_str());
    return s;
  }
  // Make the rename itself durable.
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace authd::cli
