#include "cli/command_context.h"

#include <fstream>
#include <sstream>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace authd::cli {

void CommandContext::SetAction(const CLI::App* command, Action action) {
  actions_.emplace_back(command, std::move(action));
}

const CommandContext::Action* CommandContext::FindAction(const CLI::App* command) const {
  for (const auto& [app, action] : actions_) {
    if (app == command) return &action;
  }
  return nullptr;
}

ConfigStore& CommandContext::configs() {
  if (configs_ == nullptr) configs_ = std::make_unique<ConfigStore>(ConfigsPath(flags_, env_));
  return *configs_;
}

absl::StatusOr<const ResolvedOptions*> CommandContext::options() {
  if (!options_.has_value()) {
    absl::StatusOr<ResolvedOptions> resolved = ResolveOptions(flags_, env_, configs());
    if (!resolved.ok()) return resolved.status();
    options_ = *std::move(resolved);
    AddSecret(options_->token);
    if (options_->profile.has_value()) AddSecret(options_->profile->token);
  }
  return &*options_;
}

absl::StatusOr<ClientOptions> CommandContext::client_options() {
  absl::StatusOr<const ResolvedOptions*> resolved = options();
  if (!resolved.ok()) return resolved.status();
  ClientOptions options;
  options.host = (*resolved)->host;
  options.token = (*resolved)->token;
  auto read = [](const std::string& path, absl::string_view flag,
                 std::string* out) -> absl::Status {
    if (path.empty()) return absl::OkStatus();
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
    }
    *out = ss.str();
    return absl::OkStatus();
  };
  const ResolvedOptions& r = **resolved;
  if ((!r.tls_cert.empty() || !r.tls_key.empty()) && r.tls_ca.empty()) {
    return absl::InvalidArgumentError("--tls-cert/--tls-key: need --tls-ca");
  }
  if (r.tls_cert.empty() != r.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
  }
  if (absl::Status s = read(r.tls_ca, "--tls-ca", &options.tls_ca_pem); !s.ok()) return s;
  if (absl::Status s = read(r.tls_cert, "--tls-cert", &options.tls_cert_pem); !s.ok()) return s;
  if (absl::Status s = read(r.tls_key, "--tls-key", &options.tls_key_pem); !s.ok()) return s;
  return options;
}

absl::StatusOr<ApiClient*> CommandContext::client() {
  if (client_ == nullptr) {
    absl::StatusOr<ClientOptions> options = client_options();
    if (!options.ok()) return options.status();
    client_ = std::make_unique<ApiClient>(*std::move(options));
  }
  return client_.get();
}

void CommandContext::Warn(absl::string_view message) const {
  std::string line = absl::StrCat("WARN: ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), err_);
  std::fflush(err_);
}

void CommandContext::AddSecret(absl::string_view secret) {
  if (secret.size() >= 6) secrets_.emplace_back(secret);
}

std::string CommandContext::Redact(absl::string_view message) const {
  std::string out(message);
  // Longest first, so a secret that contains another is blanked whole.
  std::vector<std::string> sorted = secrets_;
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& secret : sorted) {
    out = absl::StrReplaceAll(out, {{secret, "[REDACTED]"}});
  }
  return out;
}

absl::StatusOr<std::string> ResolveOrgId(CommandContext& ctx, const std::string& org_name,
                                         const std::string& org_id, bool required) {
  if (!org_name.empty() && !org_id.empty()) {
    return absl::InvalidArgumentError("must specify org-id, or org name not both");
  }
  if (!org_id.empty()) return org_id;
  std::string name = org_name;
  if (name.empty()) {
    absl::StatusOr<const ResolvedOptions*> options = ctx.options();
    if (!options.ok()) return options.status();
    if ((*options)->profile.has_value()) name = (*options)->profile->org;
  }
  if (name.empty()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError("must specify org ID or org name");
  }
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  v1::ListOrgsRequest req;
  req.set_name(name);
  absl::StatusOr<v1::ListOrgsResponse> orgs = (*client)->ListOrgs(req);
  if (!orgs.ok()) return orgs.status();
  if (orgs->orgs().empty()) {
    return absl::NotFoundError(absl::StrCat("no organization with name \"", name, "\""));
  }
  return orgs->orgs(0).id();
}

absl::StatusOr<std::string> ResolveUserId(CommandContext& ctx, const std::string& name) {
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  v1::ListUsersRequest req;
  req.set_name(name);
  absl::StatusOr<v1::ListUsersResponse> users = (*client)->ListUsers(req);
  if (!users.ok()) return users.status();
  if (users->users().empty()) {
    return absl::NotFoundError(absl::StrCat("could not find user with name \"", name, "\""));
  }
  return users->users(0).id();
}

}  // namespace authd::cli
