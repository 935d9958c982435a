// CommandContext: what every authctl command shares once the command line is parsed: the global
// flags, the configs file, the resolved host and token, the gRPC client, the printer and the
// prompter; plus the registry of command actions and of secrets to keep out of error messages.
// Everything that depends on the flags is resolved lazily, on first use, after parsing.
// Owned by main(); not thread-safe.
#ifndef AUTHD_CLI_COMMAND_CONTEXT_H_
#define AUTHD_CLI_COMMAND_CONTEXT_H_

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/api_client.h"
#include "cli/config_store.h"
#include "cli/global_options.h"
#include "cli/output.h"
#include "cli/prompter.h"

namespace CLI {
class App;
}  // namespace CLI

namespace authd::cli {

class CommandContext {
 public:
  using Action = std::function<absl::Status()>;

  // `out` receives command output, `err` warnings; `prompter` is borrowed.
  CommandContext(EnvLookup env, Prompter* prompter, std::FILE* out, std::FILE* err)
      : env_(std::move(env)), prompter_(prompter), out_(out), err_(err) {}

  // Filled by the parser.
  GlobalFlags& flags() { return flags_; }

  // The action run when `command` is the innermost subcommand given.
  void SetAction(const CLI::App* command, Action action);
  const Action* FindAction(const CLI::App* command) const;

  // The configs file chosen by --configs-path / AUTHCTL_CONFIGS_PATH / $HOME.
  ConfigStore& configs();
  // Host, token and profile (see global_options.h). Errors: ResolveOptions's.
  absl::StatusOr<const ResolvedOptions*> options();
  // The connection settings of options(): host, token, TLS files read. Errors: options()'s,
  // kInvalidArgument "--tls-ca: cannot read <path>" (likewise --tls-cert, --tls-key).
  absl::StatusOr<ClientOptions> client_options();
  // A client for client_options(). Errors: client_options()'s.
  absl::StatusOr<ApiClient*> client();

  Printer printer() const { return Printer(out_, flags_.json, flags_.hide_headers); }
  Prompter& prompter() { return *prompter_; }
  // Writes "WARN: <message>" to the warning stream.
  void Warn(absl::string_view message) const;

  // Remembers a secret (token, password) so Redact() can blank it; values under 6 bytes are ignored.
  void AddSecret(absl::string_view secret);
  // `message` with every remembered secret replaced by "[REDACTED]".
  std::string Redact(absl::string_view message) const;

 private:
  EnvLookup env_;
  Prompter* prompter_;
  std::FILE* out_;
  std::FILE* err_;
  GlobalFlags flags_;
  std::vector<std::pair<const CLI::App*, Action>> actions_;
  std::vector<std::string> secrets_;
  std::unique_ptr<ConfigStore> configs_;
  std::optional<ResolvedOptions> options_;
  std::unique_ptr<ApiClient> client_;
};

// The org a command acts on: `org_id`, else the org named `org_name`, else the profile's default
// org (looked up by name with TenantService.ListOrgs); "" when there is none and `required` is
// false. Errors (influx's wording): kInvalidArgument "must specify org-id, or org name not both",
// "must specify org ID or org name" (when `required`); kNotFound "no organization with name
// \"<name>\""; the client's errors.
absl::StatusOr<std::string> ResolveOrgId(CommandContext& ctx, const std::string& org_name,
                                         const std::string& org_id, bool required = true);

// The ID of the user named `name` (TenantService.ListUsers). Errors: kNotFound "could not find user
// with name \"<name>\""; the client's errors.
absl::StatusOr<std::string> ResolveUserId(CommandContext& ctx, const std::string& name);

}  // namespace authd::cli

#endif  // AUTHD_CLI_COMMAND_CONTEXT_H_
