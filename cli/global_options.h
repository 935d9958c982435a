// The global flags of authctl and the one place they meet the environment and the config profiles:
// which configs file, which host, which token. Precedence, as influx's:
//   configs file: --configs-path > AUTHCTL_CONFIGS_PATH > $HOME/.authctl/configs
//   host:         --host > AUTHD_HOST > the profile's host > 127.0.0.1:50051
//   token:        -t/--token > AUTHD_TOKEN > the profile's token
//   TLS:          --tls-ca/--tls-cert/--tls-key > AUTHD_TLS_CA/AUTHD_TLS_CERT/AUTHD_TLS_KEY
// where "the profile" is `-c/--active-config NAME` or else the active profile (if any).
// Pure apart from the injected env lookup and reading the configs file; thread-compatible.
#ifndef AUTHD_CLI_GLOBAL_OPTIONS_H_
#define AUTHD_CLI_GLOBAL_OPTIONS_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/config_store.h"

namespace authd::cli {

inline constexpr char kDefaultHost[] = "127.0.0.1:50051";

// The root flags as parsed; empty means "not given".
struct GlobalFlags {
  std::string host;
  std::string token;
  std::string active_config;
  std::string configs_path;
  bool json = false;
  bool hide_headers = false;
  // PEM files: the CA that signed authd's certificate (turns TLS on), and the client certificate
  // and key for mutual TLS.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

using EnvLookup = std::function<const char*(const char*)>;

// Where the token in use came from.
enum class TokenSource { kNone, kFlag, kEnv, kProfile };

struct ResolvedOptions {
  std::string host;
  std::string token;
  TokenSource token_source = TokenSource::kNone;
  // `-c NAME`, else the active profile; nullopt when neither exists.
  std::optional<Profile> profile;
  // TLS files (paths); all empty means plaintext.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

// The configs file path. $HOME falls back to the password database when unset.
std::string ConfigsPath(const GlobalFlags& flags, const EnvLookup& env);

// Applies the precedence above. Errors: kNotFound "config \"<name>\" is not found" for a `-c` that
// names no profile, and ConfigStore::List's errors.
absl::StatusOr<ResolvedOptions> ResolveOptions(const GlobalFlags& flags, const EnvLookup& env,
                                               const ConfigStore& store);

}  // namespace authd::cli

#endif  // AUTHD_CLI_GLOBAL_OPTIONS_H_
