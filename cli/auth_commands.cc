#include "cli/auth_commands.h"

#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "authz/authorization_rules.h"
#include "authz/resource_type.h"
#include "cli/lifecycle_flags.h"
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
  ExpiryFlags expiry;
};

struct ListParams {
  std::string id;
  std::string user;
  std::string user_id;
  std::string org;
  std::string org_id;
  std::string unused_since;
  std::string expiring_within;
  std::string status;
  bool never_used = false;
  std::string sort;
  bool descending = false;
};

struct UpdateParams {
  std::string id;
  std::string description;
  const CLI::Option* description_flag = nullptr;  // given or not (an empty value clears)
  ExpiryFlags expiry;
};

struct RotateParams {
  std::string id;
  std::string grace;
  const CLI::Option* grace_flag = nullptr;
};

// The table's last column, after Permissions, for the commands that have one.
enum class ExtraColumn { kNone, kDeleted, kPreviousTokenValidUntil };

// How an unset time reads in a table: a token that never expires, or was never used.
constexpr char kNever[] = "never";

// Refuses an empty value: `--expires-in "$TTL"` with TTL unset must not mean "never expires".
CLI::Option* NonEmpty(CLI::Option* option) {
  return option->check(
      [](const std::string& value) { return value.empty() ? "must not be empty" : std::string(); });
}

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
      .Set("permissions", std::move(permissions))
      .Set("expiresAt", JsonValue::String(FormatTimestamp(a.expires_at())))
      .Set("lastUsedAt", JsonValue::String(FormatTimestamp(a.last_used_at())))
      .Set("rotatedAt", JsonValue::String(FormatTimestamp(a.rotated_at())))
      .Set("previousTokenValidUntil",
           JsonValue::String(FormatTimestamp(a.previous_token_valid_until())));
  return token;
}

// influx prints one token as an object and a list as an array.
void PrintTokens(CommandContext& ctx, const std::vector<authd::v1::Authorization>& auths,
                 bool single, ExtraColumn extra) {
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
  // Expires and Last Used come before Permissions, which can be very long.
  std::vector<std::string> headers = {"ID",      "Description", "Token",     "User Name",
                                      "User ID", "Expires",     "Last Used", "Permissions"};
  if (extra == ExtraColumn::kDeleted) headers.push_back("Deleted");
  if (extra == ExtraColumn::kPreviousTokenValidUntil) {
    headers.push_back("Previous Token Valid Until");
  }
  std::vector<std::vector<std::string>> rows;
  for (const authd::v1::Authorization& a : auths) {
    std::vector<std::string> permissions;
    for (const authd::v1::Permission& p : a.permissions()) permissions.push_back(PermissionString(p));
    std::vector<std::string> row = {a.id(),
                                    a.description(),
                                    DisplayToken(a),
                                    a.user(),
                                    a.user_id(),
                                    FormatTableTime(a.expires_at(), kNever),
                                    FormatTableTime(a.last_used_at(), kNever),
                                    FormatList(permissions)};
    if (extra == ExtraColumn::kDeleted) row.push_back("true");
    // Without a grace period the previous secret stopped working with the rotation.
    if (extra == ExtraColumn::kPreviousTokenValidUntil) {
      row.push_back(FormatTableTime(a.previous_token_valid_until(), "now"));
    }
    rows.push_back(std::move(row));
  }
  printer.Table(headers, rows);
}

absl::Status RunCreate(CommandContext& ctx, const CreateParams& p) {
  if (!p.org.empty() && !p.org_id.empty()) {
    return absl::InvalidArgumentError("must specify org-id, or org name not both");
  }
  // Every flag mistake is reported before any call to the server.
  absl::StatusOr<Expiry> expiry = ParseExpiryFlags(p.expiry);
  if (!expiry.ok()) return expiry.status();
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
  // A lifetime goes as `ttl`, so that the server's clock decides when it ends.
  if (expiry->kind == Expiry::Kind::kIn) *req.mutable_ttl() = ToProtoDuration(expiry->in);
  if (expiry->kind == Expiry::Kind::kAt) *req.mutable_expires_at() = ToTimestamp(expiry->at);
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<authd::v1::Authorization> created = (*client)->CreateAuthorization(req);
  if (!created.ok()) return created.status();
  PrintTokens(ctx, {*created}, /*single=*/true, ExtraColumn::kNone);
  return absl::OkStatus();
}

absl::Status RunList(CommandContext& ctx, const ListParams& p) {
  // The lifecycle filters are checked (and their times computed) before any call.
  authd::v1::ListAuthorizationsRequest req;
  req.set_user(p.user);
  req.set_user_id(p.user_id);
  req.set_org(p.org);
  req.set_org_id(p.org_id);
  const absl::Time now = absl::Now();
  if (!p.unused_since.empty()) {
    absl::StatusOr<absl::Time> since = ParseTimeOrAgo("--unused-since", p.unused_since, now);
    if (!since.ok()) return since.status();
    *req.mutable_unused_since() = ToTimestamp(*since);
  }
  if (!p.expiring_within.empty()) {
    absl::StatusOr<absl::Duration> within =
        ParsePositiveDuration("--expiring-within", p.expiring_within);
    if (!within.ok()) return within.status();
    *req.mutable_expires_before() = ToTimestamp(now + *within);
  }
  if (absl::Status s = CheckStatusFilter(p.status); !s.ok()) return s;
  req.set_status(p.status);
  req.set_never_used(p.never_used);
  absl::StatusOr<std::string> order_by = SortOrderBy(p.sort);
  if (!order_by.ok()) return order_by.status();
  req.set_order_by(*order_by);
  req.set_descending(p.descending);

  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  // Like influx, --id wins over every other filter.
  if (!p.id.empty()) {
    absl::StatusOr<authd::v1::Authorization> one = (*client)->GetAuthorization(p.id);
    if (!one.ok()) return one.status();
    PrintTokens(ctx, {*one}, /*single=*/true, ExtraColumn::kNone);
    return absl::OkStatus();
  }
  absl::StatusOr<authd::v1::ListAuthorizationsResponse> list = (*client)->ListAuthorizations(req);
  if (!list.ok()) return list.status();
  std::vector<authd::v1::Authorization> auths(list->authorizations().begin(),
                                               list->authorizations().end());
  PrintTokens(ctx, auths, /*single=*/false, ExtraColumn::kNone);
  return absl::OkStatus();
}

absl::Status RunUpdate(CommandContext& ctx, const UpdateParams& p) {
  absl::StatusOr<Expiry> expiry = ParseExpiryFlags(p.expiry);
  if (!expiry.ok()) return expiry.status();
  const bool description = p.description_flag != nullptr && p.description_flag->count() > 0;
  if (!description && expiry->kind == Expiry::Kind::kUnset) {
    return absl::InvalidArgumentError(
        "nothing to update: give --description, --expires-in, --expires-at or --never-expires");
  }
  authd::v1::UpdateAuthorizationRequest req;
  req.set_id(p.id);
  if (description) req.set_description(p.description);
  switch (expiry->kind) {
    case Expiry::Kind::kUnset:
      break;
    case Expiry::Kind::kIn:
      // The API takes an instant here: from this machine's clock.
      *req.mutable_expires_at() = ToTimestamp(absl::Now() + expiry->in);
      break;
    case Expiry::Kind::kAt:
      *req.mutable_expires_at() = ToTimestamp(expiry->at);
      break;
    case Expiry::Kind::kNever:
      req.set_never_expires(true);
      break;
  }
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<authd::v1::Authorization> updated = (*client)->UpdateAuthorization(req);
  if (!updated.ok()) return updated.status();
  PrintTokens(ctx, {*updated}, /*single=*/true, ExtraColumn::kNone);
  return absl::OkStatus();
}

absl::Status RunRotate(CommandContext& ctx, const RotateParams& p) {
  absl::StatusOr<absl::Duration> grace = absl::ZeroDuration();
  if (p.grace_flag->count() > 0) {
    grace = ParseDurationOrZero("--grace", p.grace, "none (the old token stops at once)");
    if (!grace.ok()) return grace.status();
  }
  authd::v1::RotateAuthorizationRequest req;
  req.set_id(p.id);
  if (*grace > absl::ZeroDuration()) *req.mutable_grace_period() = ToProtoDuration(*grace);
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<authd::v1::Authorization> rotated = (*client)->RotateAuthorization(req);
  if (!rotated.ok()) return rotated.status();
  PrintTokens(ctx, {*rotated}, /*single=*/true, ExtraColumn::kPreviousTokenValidUntil);
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
  PrintTokens(ctx, {*updated}, /*single=*/true, ExtraColumn::kNone);
  return absl::OkStatus();
}

absl::Status RunDelete(CommandContext& ctx, const std::string& id) {
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<authd::v1::Authorization> existing = (*client)->GetAuthorization(id);
  if (!existing.ok()) return existing.status();
  if (absl::Status s = (*client)->DeleteAuthorization(id); !s.ok()) return s;
  PrintTokens(ctx, {*existing}, /*single=*/true, ExtraColumn::kDeleted);
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
  NonEmpty(create->add_option("--expires-in", create_params->expiry.expires_in,
                              "Lifetime of the token, e.g. 30d, 72h, 1w (default: never expires, "
                              "or the maximum token lifetime when one applies)"));
  NonEmpty(create->add_option("--expires-at", create_params->expiry.expires_at,
                              "When the token expires, an RFC 3339 time such as "
                              "2026-12-31T23:59:59Z"));
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
  NonEmpty(list->add_option("--unused-since", list_params->unused_since,
                            "Only tokens not used since then (never-used ones included): a "
                            "duration ago such as 90d, or an RFC 3339 time"));
  NonEmpty(list->add_option("--expiring-within", list_params->expiring_within,
                            "Only tokens expiring within this duration from now, e.g. 7d "
                            "(expired ones included)"));
  NonEmpty(list->add_option("--status", list_params->status,
                            "Only tokens in this state: active, inactive or expired"));
  list->add_flag("--never-used", list_params->never_used, "Only tokens never used");
  NonEmpty(list->add_option("--sort", list_params->sort,
                            "Order: id (default), created, expires (never-expiring last) or "
                            "last-used (never-used first)"));
  list->add_flag("--desc", list_params->descending, "Reverse the order");
  ctx->SetAction(list, [ctx, list_params] { return RunList(*ctx, *list_params); });

  auto update_params = std::make_shared<UpdateParams>();
  CLI::App* update = auth->add_subcommand("update", "Update authorization");
  update->add_option("-i,--id", update_params->id, "The authorization ID (required)")->required();
  update_params->description_flag = update->add_option(
      "-d,--description", update_params->description, "New token description (empty clears it)");
  NonEmpty(update->add_option(
      "--expires-in", update_params->expiry.expires_in,
      "Expire this long from now, e.g. 30d, 72h, 1w (reactivates an expired token)"));
  NonEmpty(update->add_option("--expires-at", update_params->expiry.expires_at,
                              "Expire at this RFC 3339 time, e.g. 2026-12-31T23:59:59Z"));
  update->add_flag("--never-expires", update_params->expiry.never_expires,
                   "Remove the expiry (refused when a maximum token lifetime applies)");
  ctx->SetAction(update, [ctx, update_params] { return RunUpdate(*ctx, *update_params); });

  auto rotate_params = std::make_shared<RotateParams>();
  CLI::App* rotate = auth->add_subcommand(
      "rotate", "Give the authorization a new token, keeping its ID and permissions");
  rotate->add_option("-i,--id", rotate_params->id, "The authorization ID (required)")->required();
  rotate_params->grace_flag = rotate->add_option(
      "--grace", rotate_params->grace,
      "How long the old token keeps working, e.g. 1h (default 0: it stops at once)");
  ctx->SetAction(rotate, [ctx, rotate_params] { return RunRotate(*ctx, *rotate_params); });

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
