#include "cli/setup_commands.h"

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/duration.h"
#include "cli/output.h"

namespace authd::cli {
namespace {

struct SetupParams {
  std::string username;
  std::string password;
  std::string token;
  std::string org;
  std::string bucket;
  std::string retention;
  bool force = false;
  std::string config_name;
};

// influx's validateNoNameCollision: the results must be storable before the server is changed.
absl::Status CheckConfigName(CommandContext& ctx, const std::string& name) {
  absl::StatusOr<std::vector<Profile>> profiles = ctx.configs().List();
  if (!profiles.ok()) return profiles.status();
  if (!name.empty()) {
    if (absl::Status s = ValidateProfileName(name); !s.ok()) return s;
  }
  if (profiles->empty()) return absl::OkStatus();
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "config name is required if you already have existing configs");
  }
  for (const Profile& p : *profiles) {
    if (p.name == name) {
      return absl::AlreadyExistsError(absl::StrCat("config name \"", name, "\" already exists"));
    }
  }
  return absl::OkStatus();
}

// influx's onboardingRequest: flags first; unless --force, prompts for what is missing and asks
// for confirmation.
absl::StatusOr<v1::SetupRequest> BuildSetupRequest(CommandContext& ctx, const SetupParams& p) {
  if ((p.force || !p.password.empty()) && p.password.size() < kMinPasswordLength) {
    return absl::InvalidArgumentError("password is too short");
  }
  v1::SetupRequest req;
  req.set_username(p.username);
  req.set_password(p.password);
  req.set_org(p.org);
  req.set_bucket(p.bucket);
  req.set_token(p.token);
  if (!p.retention.empty()) {
    absl::StatusOr<int64_t> seconds = ParseDurationSeconds(p.retention);
    if (!seconds.ok()) return seconds.status();
    req.set_retention_period_seconds(*seconds);
  }
  if (p.force) return req;

  Prompter& prompter = ctx.prompter();
  prompter.Banner("Welcome to authd!");
  auto ask = [&](const std::string& given, const char* prompt,
                 std::string* out) -> absl::Status {
    if (!given.empty()) return absl::OkStatus();
    absl::StatusOr<std::string> answer = prompter.GetStringInput(prompt);
    if (!answer.ok()) return answer.status();
    *out = *answer;
    return absl::OkStatus();
  };
  if (absl::Status s = ask(p.username, "Please type your primary username", req.mutable_username());
      !s.ok()) {
    return s;
  }
  if (p.password.empty()) {
    absl::StatusOr<std::string> password = prompter.GetPassword("Please type your password");
    if (!password.ok()) return password.status();
    ctx.AddSecret(*password);
    req.set_password(*password);
  }
  if (absl::Status s = ask(p.org, "Please type your primary organization name", req.mutable_org());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ask(p.bucket, "Please type your primary bucket name", req.mutable_bucket());
      !s.ok()) {
    return s;
  }
  if (p.retention.empty()) {
    for (;;) {
      absl::StatusOr<std::string> hours =
          prompter.GetStringInput("Please type your retention period in hours, or 0 for infinite", "0");
      if (!hours.ok()) return hours.status();
      int64_t value = 0;
      if (!absl::SimpleAtoi(*hours, &value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid retention period \"", *hours, "\": want a whole number of hours"));
      }
      if (value >= 0) {
        req.set_retention_period_seconds(value * 3600);
        break;
      }
      prompter.Error("Retention period cannot be negative");
    }
  }
  const std::string confirm = absl::StrCat(
      "Setup with these parameters?\n  Username:          ", req.username(),
      "\n  Organization:      ", req.org(), "\n  Bucket:            ", req.bucket(),
      "\n  Retention Period:  ", FormatRetention(req.retention_period_seconds()), "\n");
  if (!prompter.GetConfirm(confirm)) return absl::CancelledError("setup was canceled");
  return req;
}

absl::Status RunSetup(CommandContext& ctx, const SetupParams& p) {
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::GetSetupStatusResponse> status = (*client)->GetSetupStatus();
  if (!status.ok()) return status.status();
  if (!status->allowed()) return absl::FailedPreconditionError("instance has already been set up");
  if (absl::Status s = CheckConfigName(ctx, p.config_name); !s.ok()) return s;

  absl::StatusOr<v1::SetupRequest> req = BuildSetupRequest(ctx, p);
  if (!req.ok()) return req.status();
  absl::StatusOr<v1::SetupResponse> resp = (*client)->Setup(*req);
  if (!resp.ok()) return resp.status();
  ctx.AddSecret(resp->authorization().token());

  absl::StatusOr<const ResolvedOptions*> options = ctx.options();
  if (!options.ok()) return options.status();
  Profile profile;
  profile.name = p.config_name.empty() ? "default" : p.config_name;
  profile.host = (*options)->host;
  profile.token = resp->authorization().token();
  profile.org = resp->org().name();
  profile.active = true;
  if (absl::StatusOr<Profile> saved = ctx.configs().Create(profile); !saved.ok()) {
    return absl::Status(saved.status().code(),
                        absl::StrCat("setup succeeded, but failed to write new config to local path: ",
                                     saved.status().message()));
  }

  Printer printer = ctx.printer();
  if (printer.json()) {
    JsonValue out = JsonValue::Object();
    out.Set("user", JsonValue::String(resp->user().name()))
        .Set("organization", JsonValue::String(resp->org().name()))
        .Set("bucket", JsonValue::String(resp->bucket().name()));
    printer.Json(out);
  } else {
    printer.Table({"User", "Organization", "Bucket"},
                  {{resp->user().name(), resp->org().name(), resp->bucket().name()}});
  }
  return absl::OkStatus();
}

struct SignInParams {
  std::string username;
  std::string password;
};

absl::Status RunSignIn(CommandContext& ctx, const SignInParams& p) {
  Prompter& prompter = ctx.prompter();
  std::string username = p.username;
  if (username.empty()) {
    absl::StatusOr<std::string> typed = prompter.GetStringInput("Please type your username");
    if (!typed.ok()) return typed.status();
    username = *typed;
  }
  std::string password = p.password;
  if (password.empty()) {
    absl::StatusOr<std::string> typed = prompter.GetSecret("Please type your password", 1);
    if (!typed.ok()) return typed.status();
    password = *typed;
    ctx.AddSecret(password);
  }
  absl::StatusOr<const ResolvedOptions*> options = ctx.options();
  if (!options.ok()) return options.status();
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  v1::SignInRequest req;
  req.set_username(username);
  req.set_password(password);
  absl::StatusOr<v1::SignInResponse> session = (*client)->SignIn(req);
  if (!session.ok()) return session.status();
  ctx.AddSecret(session->token());

  std::string config_name;
  if ((*options)->profile.has_value()) {
    ProfileUpdate update;
    update.name = (*options)->profile->name;
    update.token = session->token();
    absl::StatusOr<Profile> saved = ctx.configs().Update(update);
    if (!saved.ok()) return saved.status();
    config_name = saved->name;
  } else {
    Profile profile;
    profile.name = "default";
    profile.host = (*options)->host;
    profile.token = session->token();
    profile.active = true;
    absl::StatusOr<Profile> saved = ctx.configs().Create(profile);
    if (!saved.ok()) return saved.status();
    config_name = saved->name;
  }

  const std::string expires = FormatTimestamp(session->expires_at());
  Printer printer = ctx.printer();
  if (printer.json()) {
    JsonValue out = JsonValue::Object();
    out.Set("user", JsonValue::String(username))
        .Set("config", JsonValue::String(config_name))
        .Set("expiresAt", JsonValue::String(expires));
    printer.Json(out);
  } else {
    printer.Line(absl::StrCat("Signed in as \"", username, "\"; the session token is saved in config \"",
                              config_name, "\" (expires ", expires, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddSetupCommands(CLI::App* root, CommandContext* ctx) {
  auto setup_params = std::make_shared<SetupParams>();
  CLI::App* setup = root->add_subcommand("setup", "Setup instance with initial user, org, bucket");
  setup->add_option("-u,--username", setup_params->username, "Name of initial user to create");
  setup->add_option("-p,--password", setup_params->password, "Password to set on initial user");
  setup->add_option("-t,--token", setup_params->token,
                    "Auth token to set on the initial user (generated when empty)");
  setup->add_option("-o,--org", setup_params->org, "Name of initial organization to create");
  setup->add_option("-b,--bucket", setup_params->bucket, "Name of initial bucket to create");
  setup->add_option("-r,--retention", setup_params->retention,
                    "Duration initial bucket will retain data, or 0 for infinite");
  setup->add_flag("-f,--force", setup_params->force, "Skip confirmation prompt");
  setup->add_option("-n,--name", setup_params->config_name,
                    "Name to set on the config profile the operator token is saved in");
  ctx->SetAction(setup, [ctx, setup_params] { return RunSetup(*ctx, *setup_params); });

  auto signin_params = std::make_shared<SignInParams>();
  CLI::App* signin = root->add_subcommand(
      "signin", "Sign in with a username and password; the session token is saved in the profile");
  signin->add_option("-u,--username", signin_params->username, "The user name");
  signin->add_option("-p,--password", signin_params->password,
                     "The password (prompted for when missing)");
  ctx->SetAction(signin, [ctx, signin_params] { return RunSignIn(*ctx, *signin_params); });
}

}  // namespace authd::cli
