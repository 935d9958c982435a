#include "cli/config_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/output.h"

namespace authd::cli {
namespace {

// `single` prints one profile as an object; otherwise an object keyed by name, as influx does.
void PrintProfiles(CommandContext& ctx, const std::vector<Profile>& profiles, bool single,
                   bool deleted) {
  Printer printer = ctx.printer();
  if (printer.json()) {
    auto one = [](const Profile& p, bool with_name) {
      JsonValue out = JsonValue::Object();
      if (with_name) out.Set("name", JsonValue::String(p.name));
      out.Set("host", JsonValue::String(p.host))
          .Set("org", JsonValue::String(p.org))
          .Set("active", JsonValue::Bool(p.active));
      return out;
    };
    if (single && profiles.size() == 1) return printer.Json(one(profiles.front(), true));
    JsonValue all = JsonValue::Object();
    for (const Profile& p : profiles) all.Set(p.name, one(p, false));
    return printer.Json(all);
  }
  std::vector<std::string> headers = {"Active", "Name", "Host", "Org"};
  if (deleted) headers.push_back("Deleted");
  std::vector<std::vector<std::string>> rows;
  for (const Profile& p : profiles) {
    rows.push_back({p.active ? "*" : "", p.name, p.host, p.org});
    if (deleted) rows.back().push_back("true");
  }
  printer.Table(headers, rows);
}

struct ConfigParams {
  std::string name;
  std::string host;
  std::string token;
  std::string org;
  bool active = false;
};

void AddProfileFlags(CLI::App* cmd, ConfigParams* p, bool create) {
  cmd->add_option("-n,--config-name", p->name,
                  create ? "Name for the new config" : "Name of the config to update")
      ->required();
  cmd->add_option("-u,--host-url,--host", p->host,
                  create ? "gRPC address of the authd server (default 127.0.0.1:50051)"
                         : "New address to set on the config");
  cmd->add_option("-t,--token", p->token,
                  create ? "Token to use when talking to authd" : "New token to set on the config");
  cmd->add_option("-o,--org", p->org,
                  create ? "Default organization name" : "New default organization name");
  cmd->add_flag("-a,--active", p->active,
                create ? "Set the new config as active" : "Set the config as active");
}

}  // namespace

void AddConfigCommands(CLI::App* root, CommandContext* ctx) {
  auto switch_to = std::make_shared<std::string>();
  CLI::App* config = root->add_subcommand("config", "Config management commands");
  config->add_option("name", *switch_to, "Make this config the active one");
  ctx->SetAction(config, [ctx, switch_to]() -> absl::Status {
    if (!switch_to->empty()) {
      absl::StatusOr<Profile> active = ctx->configs().SetActive(*switch_to);
      if (!active.ok()) return active.status();
      PrintProfiles(*ctx, {*active}, true, false);
      return absl::OkStatus();
    }
    absl::StatusOr<std::optional<Profile>> active = ctx->configs().Active();
    if (!active.ok()) return active.status();
    if (!active->has_value()) return absl::NotFoundError("no active config");
    PrintProfiles(*ctx, {**active}, true, false);
    return absl::OkStatus();
  });

  auto create_params = std::make_shared<ConfigParams>();
  CLI::App* create = config->add_subcommand("create", "Create config");
  AddProfileFlags(create, create_params.get(), /*create=*/true);
  ctx->SetAction(create, [ctx, create_params]() -> absl::Status {
    Profile profile;
    profile.name = create_params->name;
    profile.host = create_params->host.empty() ? kDefaultHost : create_params->host;
    profile.token = create_params->token;
    profile.org = create_params->org;
    profile.active = create_params->active;
    absl::StatusOr<Profile> created = ctx->configs().Create(profile);
    if (!created.ok()) return created.status();
    PrintProfiles(*ctx, {*created}, true, false);
    return absl::OkStatus();
  });

  auto set_params = std::make_shared<ConfigParams>();
  CLI::App* set = config->add_subcommand("set", "Update config");
  set->alias("update");
  AddProfileFlags(set, set_params.get(), /*create=*/false);
  ctx->SetAction(set, [ctx, set_params]() -> absl::Status {
    ProfileUpdate update;
    update.name = set_params->name;
    if (!set_params->host.empty()) update.host = set_params->host;
    if (!set_params->token.empty()) update.token = set_params->token;
    if (!set_params->org.empty()) update.org = set_params->org;
    update.activate = set_params->active;
    absl::StatusOr<Profile> updated = ctx->configs().Update(update);
    if (!updated.ok()) return updated.status();
    PrintProfiles(*ctx, {*updated}, true, false);
    return absl::OkStatus();
  });

  CLI::App* list = config->add_subcommand("list", "List configs");
  list->alias("ls");
  ctx->SetAction(list, [ctx]() -> absl::Status {
    absl::StatusOr<std::vector<Profile>> profiles = ctx->configs().List();
    if (!profiles.ok()) return profiles.status();
    PrintProfiles(*ctx, *profiles, false, false);
    return absl::OkStatus();
  });

  auto remove_names = std::make_shared<std::vector<std::string>>();
  CLI::App* rm = config->add_subcommand("rm", "Delete config");
  rm->alias("delete");
  rm->alias("remove");
  rm->add_option("names", *remove_names, "Names of the configs to delete");
  ctx->SetAction(rm, [ctx, remove_names]() -> absl::Status {
    std::vector<Profile> removed;
    for (const std::string& name : *remove_names) {
      absl::StatusOr<Profile> gone = ctx->configs().Remove(name);
      if (absl::IsNotFound(gone.status())) continue;
      if (!gone.ok()) return gone.status();
      removed.push_back(*gone);
    }
    PrintProfiles(*ctx, removed, false, true);
    return absl::OkStatus();
  });
}

}  // namespace authd::cli
