#include "cli/auth_commands.h"

#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "authz/authorization_rules.h"
#include "authz/resource_type.h"
#include "cli/output.h"
#include "cli/permission_flags.h"

namespace authd::cli {
namespace {

using authz::ResourceType;

struct CreateParams {
  std::string org;
  std::string org_id;
  std::string user;
  std::string description;
  PermissionFlags permissions;
};

struct ListParams {
  std::string id;
  std::string user;
  std::string user_id;
  std::string org;
  std::string org_id;
};

// influx's help text for the generated flags (cmd/influx/auth.go helpText).
std::pair<std::string, std::string> HelpText(ResourceType type) {
  const std::string name(authz::ResourceTypeName(type));
  std::string read = absl::StrCat("read ", name);
  std::string write = absl::StrCat("create or update ", name);
  if (type == ResourceType::kBuckets) {
    read = "perform read actions against organization buckets";
    write = "perform mutative actions against organization buckets";
  } else if (type == ResourceType::kTelegrafs) {
    read = "read telegraf configs";
    write = "create telegraf configs";
  } else if (type == ResourceType::kOrgs) {
    read = "read organizations";
    write = "create organizations";
  }
  return {absl::StrCat("Grants the permission to ", read),
          absl::StrCat("Grants the permission to ", write)};
}

JsonValue TokenJson(const authd::v1::Authorization& a) {
  JsonValue permissions = JsonValue::Array();
  for (const authd::v1::Permission& p : a.permissions()) {
    permissions.Add(JsonValue::String(PermissionString(p)));
  }
  JsonValue token = JsonValue::Object();
  token.Set("id", JsonValue::String(a.id()))
      .Set("description", JsonValue::String(a.description()))
      .Set("token", JsonValue::String(DisplayToken(a)))
      .Set("status", JsonValue::String(a.status()))
      .Set("userName", JsonValue::String(a.user()))
      .Set("userID", JsonValue::String(a.user_id()))
      .Set("permissions", std::move(permissions));
  return token;
}

// influx prints one token as an object and a list as an array.
void PrintTokens(CommandContext& ctx, const std::vector<authd::v1::Authorization>& auths,
                 bool single, bool deleted) {
  Printer printer = ctx.printer();
  if (printer.json()) {
    if (single && auths.size() == 1) {
      printer.Json(TokenJson(auths.front()));
      return;
    }
    JsonValue list = JsonValue::Array();
    for (const authd::v1::Authorization& a : auths) list.Add(TokenJson(a));
    printer.Json(list);
    return;
  }
  std::vector<std::string> headers = {"ID", "Description", "Token", "User Name", "User ID",
                                      "Permissions"};
  if (deleted) headers.push_back("Deleted");
  std::vector<std::vector<std::string>> rows;
  for (const authd::v1::Authorization& a : auths) {
    std::vector<std::string> permissions;
    for (const authd::v1::Permission& p : a.permissions()) permissions.push_back(PermissionString(p));
    std::vector<std::string> row = {a.id(),   a.description(), DisplayToken(a),
                                    a.user(), a.user_id(),     FormatList(permissions)};
    if (deleted) row.push_back("true");
    rows.push_back(std::move(row));
  }
  printer.Table(headers, rows);
}

absl::Status RunCreate(CommandContext& ctx, const CreateParams& p) {
  if (!p.org.empty() && !p.org_id.empty()) {
    return absl::InvalidArgumentError("must specify org-id, or org name not both");
  }
  // Every flag mistake is reported before any call to the server.
  if (absl::Status s = CheckPermissionFlags(p.permissions); !s.ok()) return s;
  absl::StatusOr<std::string> org_id = ResolveOrgId(ctx, p.org, p.org_id);
  if (!org_id.ok()) return org_id.status();
  std::string user_id;
  if (!p.user.empty()) {
    absl::StatusOr<std::string> found = ResolveUserId(ctx, p.user);
    if (!found.ok()) return found.status();
    user_id = *found;
  }
  absl::StatusOr<ComposedPermissions> composed = ComposePermissions(p.permissions, *org_id);
  if (!composed.ok()) return composed.status();

  authd::v1::CreateAuthorizationRequest req;
  req.set_org_id(*org_id);
  req.set_user_id(user_id);
  req.set_description(p.description);
  req.set_preset(composed->preset);
  for (authd::v1::Permission& perm : composed->permissions) *req.add_permissions() = std::move(perm);
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<authd::v1::Authorization> created = (*client)->CreateAuthorization(req);
  if (!created.ok()) return created.status();
  PrintTokens(ctx, {*created}, /*single=*/true, /*deleted=*/false);
  return absl::OkStatus();
}

absl::Status RunList(CommandContext& ctx, const ListParams& p) {
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  // Like influx, --id wins over every other filter.
  if (!p.id.empty()) {
    absl::StatusOr<authd::v1::Authorization> one = (*client)->GetAuthorization(p.id);
    if (!one.ok()) return one.status();
    PrintTokens(ctx, {*one}, /*single=*/true, /*deleted=*/false);
    return absl::OkStatus();
  }
  authd::v1::ListAuthorizationsRequest req;
  req.set_user(p.user);
  req.set_user_id(p.user_id);
  req.set_org(p.org);
  req.set_org_id(p.org_id);
  absl::StatusOr<authd::v1::ListAuthorizationsResponse> list = (*client)->ListAuthorizations(req);
  if (!list.ok()) return list.status();
  std::vector<authd::v1::Authorization> auths(list->authorizations().begin(),
                                               list->authorizations().end());
  PrintTokens(ctx, auths, /*single=*/false, /*deleted=*/false);
  return absl::OkStatus();
}

absl::Status RunSetStatus(CommandContext& ctx, const std::string& id, bool active) {
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  // influx looks the token up first, for a clear "not found".
  if (absl::Status s = (*client)->GetAuthorization(id).status(); !s.ok()) return s;
  authd::v1::UpdateAuthorizationRequest req;
  req.set_id(id);
  req.set_status(std::string(authz::ActiveStatusName(active)));
  absl::StatusOr<authd::v1::Authorization> updated = (*client)->UpdateAuthorization(req);
  if (!updated.ok()) return updated.status();
  PrintTokens(ctx, {*updated}, /*single=*/true, /*deleted=*/false);
  return absl::OkStatus();
}

absl::Status RunDelete(CommandContext& ctx, const std::string& id) {
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<authd::v1::Authorization> existing = (*client)->GetAuthorization(id);
  if (!existing.ok()) return existing.status();
  if (absl::Status s = (*client)->DeleteAuthorization(id); !s.ok()) return s;
  PrintTokens(ctx, {*existing}, /*single=*/true, /*deleted=*/true);
  return absl::OkStatus();
}

}  // namespace

std::string DisplayToken(const authd::v1::Authorization& auth) {
  if (absl::StartsWith(auth.token(), "$")) return "";
  return auth.token();
}

void AddAuthCommands(CLI::App* root, CommandContext* ctx) {
  CLI::App* auth = root->add_subcommand("auth", "Authorization management commands");
  auth->alias("authorization");
  auth->require_subcommand(1);

  auto create_params = std::make_shared<CreateParams>();
  CLI::App* create = auth->add_subcommand("create", "Create authorization");
  create->add_option("-o,--org", create_params->org, "The name of the organization");
  create->add_option("--org-id", create_params->org_id, "The ID of the organization");
  create->add_option("-u,--user", create_params->user, "The user name");
  create->add_option("-d,--description", create_params->description, "Token description");
  create->add_option("--write-bucket", create_params->permissions.write_bucket_ids, "The bucket id")
      ->allow_extra_args(false);
  create->add_option("--read-bucket", create_params->permissions.read_bucket_ids, "The bucket id")
      ->allow_extra_args(false);
  create->add_flag("--operator", create_params->permissions.operator_preset,
                   "Grants all permissions in all organizations");
  create->add_flag("--all-access", create_params->permissions.all_access,
                   "Grants all permissions in a single organization");
  for (ResourceType type : FlagResourceTypes()) {
    const std::string name(authz::ResourceTypeName(type));
    const int i = static_cast<int>(type);
    auto [read_help, write_help] = HelpText(type);
    create->add_flag("--read-" + name, create_params->permissions.read_type[i], read_help);
    create->add_flag("--write-" + name, create_params->permissions.write_type[i], write_help);
  }
  ctx->SetAction(create, [ctx, create_params] { return RunCreate(*ctx, *create_params); });

  auto list_params = std::make_shared<ListParams>();
  CLI::App* list = auth->add_subcommand("list", "List authorizations");
  list->alias("find");
  list->alias("ls");
  list->add_option("-i,--id", list_params->id, "The authorization ID");
  list->add_option("-u,--user", list_params->user, "The user");
  list->add_option("--user-id", list_params->user_id, "The user ID");
  list->add_option("-o,--org", list_params->org, "The name of the organization");
  list->add_option("--org-id", list_params->org_id, "The ID of the organization");
  ctx->SetAction(list, [ctx, list_params] { return RunList(*ctx, *list_params); });

  for (bool active : {true, false}) {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = auth->add_subcommand(active ? "active" : "inactive",
                                         active ? "Active authorization" : "Inactive authorization");
    cmd->add_option("-i,--id", *id, "The authorization ID (required)")->required();
    ctx->SetAction(cmd, [ctx, id, active] { return RunSetStatus(*ctx, *id, active); });
  }

  auto delete_id = std::make_shared<std::string>();
  CLI::App* del = auth->add_subcommand("delete", "Delete authorization");
  del->add_option("-i,--id", *delete_id, "The authorization ID (required)")->required();
  ctx->SetAction(del, [ctx, delete_id] { return RunDelete(*ctx, *delete_id); });
}

}  // namespace authd::cli
