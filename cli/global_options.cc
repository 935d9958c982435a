#include "cli/global_options.h"

#include <pwd.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace authd::cli {
namespace {

std::string EnvOrEmpty(const EnvLookup& env, const char* name) {
  const char* value = env(name);
  return value != nullptr ? std::string(value) : std::string();
}

}  // namespace

std::string ConfigsPath(const GlobalFlags& flags, const EnvLookup& env) {
  if (!flags.configs_path.empty()) return flags.configs_path;
  std::string from_env = EnvOrEmpty(env, "AUTHCTL_CONFIGS_PATH");
  if (!from_env.empty()) return from_env;
  std::string home = EnvOrEmpty(env, "HOME");
  if (home.empty()) {
    const passwd* pw = getpwuid(getuid());
    if (pw != nullptr && pw->pw_dir != nullptr) home = pw->pw_dir;
  }
  if (home.empty()) home = ".";
  return absl::StrCat(home, "/.authctl/configs");
}

absl::StatusOr<ResolvedOptions> ResolveOptions(const GlobalFlags& flags, const EnvLookup& env,
                                               const ConfigStore& store) {
  ResolvedOptions out;
  if (!flags.active_config.empty()) {
    absl::StatusOr<Profile> named = store.Get(flags.active_config);
    if (!named.ok()) return named.status();
    out.profile = *std::move(named);
  } else {
    absl::StatusOr<std::optional<Profile>> active = store.Active();
    if (!active.ok()) return active.status();
    out.profile = *std::move(active);
  }

  std::string env_host = EnvOrEmpty(env, "AUTHD_HOST");
  if (!flags.host.empty()) {
    out.host = flags.host;
  } else if (!env_host.empty()) {
    out.host = env_host;
  } else if (out.profile.has_value() && !out.profile->host.empty()) {
    out.host = out.profile->host;
  } else {
    out.host = kDefaultHost;
  }

  std::string env_token = EnvOrEmpty(env, "AUTHD_TOKEN");
  if (!flags.token.empty()) {
    out.token = flags.token;
    out.token_source = TokenSource::kFlag;
  } else if (!env_token.empty()) {
    out.token = env_token;
    out.token_source = TokenSource::kEnv;
  } else if (out.profile.has_value() && !out.profile->token.empty()) {
    out.token = out.profile->token;
    out.token_source = TokenSource::kProfile;
  }
  auto pick = [&](const std::string& flag, const char* env_name) {
    if (!flag.empty()) return flag;
    const char* v = env(env_name);
    return std::string(v != nullptr ? v : "");
  };
  out.tls_ca = pick(flags.tls_ca, "AUTHD_TLS_CA");
  out.tls_cert = pick(flags.tls_cert, "AUTHD_TLS_CERT");
  out.tls_key = pick(flags.tls_key, "AUTHD_TLS_KEY");
  return out;
}

}  // namespace authd::cli
