#include "cli/tenant_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/duration.h"
#include "cli/lifecycle_flags.h"
#include "cli/output.h"

namespace authd::cli {
namespace {

// ---- orgs ----

JsonValue OrgJson(const v1::Org& o) {
  JsonValue out = JsonValue::Object();
  out.Set("id", JsonValue::String(o.id()))
      .Set("name", JsonValue::String(o.name()))
      .Set("description", JsonValue::String(o.description()))
      .Set("createdAt", JsonValue::String(FormatTimestamp(o.created_at())))
      .Set("updatedAt", JsonValue::String(FormatTimestamp(o.updated_at())))
      .Set("maxTokenLifetimeSeconds", JsonValue::Int(o.max_token_lifetime().seconds()));
  return out;
}

void PrintOrgs(CommandContext& ctx, const std::vector<v1::Org>& orgs, bool single, bool deleted) {
  Printer printer = ctx.printer();
  if (printer.json()) {
    if (single && orgs.size() == 1) return printer.Json(OrgJson(orgs.front()));
    JsonValue list = JsonValue::Array();
    for (const v1::Org& o : orgs) list.Add(OrgJson(o));
    return printer.Json(list);
  }
  std::vector<std::string> headers = {"ID", "Name"};
  if (deleted) headers.push_back("Deleted");
  std::vector<std::vector<std::string>> rows;
  for (const v1::Org& o : orgs) {
    rows.push_back({o.id(), o.name()});
    if (deleted) rows.back().push_back("true");
  }
  printer.Table(headers, rows);
}

struct OrgParams {
  std::string name;
  std::string id;
  std::string description;
};

struct OrgUpdateParams {
  std::string id;
  std::string description;
  std::string max_token_lifetime;
  // Given or not: an empty description clears it.
  const CLI::Option* description_flag = nullptr;
  const CLI::Option* max_token_lifetime_flag = nullptr;
};

absl::Status UpdateOrg(CommandContext& ctx, const OrgUpdateParams& p) {
  v1::UpdateOrgRequest req;
  req.set_id(p.id);
  const bool description = p.description_flag->count() > 0;
  const bool lifetime = p.max_token_lifetime_flag->count() > 0;
  if (!description && !lifetime) {
    return absl::InvalidArgumentError(
        "nothing to update: give --description or --max-token-lifetime");
  }
  if (description) req.set_description(p.description);
  if (lifetime) {
    absl::StatusOr<absl::Duration> limit =
        ParseDurationOrZero("--max-token-lifetime", p.max_token_lifetime, "no limit");
    if (!limit.ok()) return limit.status();
    // Set even when zero: a zero lifetime removes the org's limit.
    *req.mutable_max_token_lifetime() = ToProtoDuration(*limit);
  }
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::Org> updated = (*client)->UpdateOrg(req);
  if (!updated.ok()) return updated.status();
  PrintOrgs(ctx, {*updated}, true, false);
  return absl::OkStatus();
}

void AddOrgCommands(CLI::App* root, CommandContext* ctx) {
  CLI::App* org = root->add_subcommand("org", "Organization management commands");
  org->alias("organization");
  org->require_subcommand(1);

  auto create_params = std::make_shared<OrgParams>();
  CLI::App* create = org->add_subcommand("create", "Create organization");
  create->add_option("-n,--name", create_params->name, "The name of organization that will be created")
      ->required();
  create->add_option("-d,--description", create_params->description,
                     "The description of the organization that will be created");
  ctx->SetAction(create, [ctx, create_params]() -> absl::Status {
    absl::StatusOr<ApiClient*> client = ctx->client();
    if (!client.ok()) return client.status();
    v1::CreateOrgRequest req;
    req.set_name(create_params->name);
    req.set_description(create_params->description);
    absl::StatusOr<v1::Org> created = (*client)->CreateOrg(req);
    if (!created.ok()) return created.status();
    PrintOrgs(*ctx, {*created}, true, false);
    return absl::OkStatus();
  });

  auto list_params = std::make_shared<OrgParams>();
  CLI::App* list = org->add_subcommand("list", "List organizations");
  list->alias("find");
  list->alias("ls");
  list->add_option("-n,--name", list_params->name, "The organization name");
  list->add_option("-i,--id", list_params->id, "The organization ID");
  ctx->SetAction(list, [ctx, list_params]() -> absl::Status {
    absl::StatusOr<ApiClient*> client = ctx->client();
    if (!client.ok()) return client.status();
    std::vector<v1::Org> orgs;
    if (!list_params->id.empty()) {
      absl::StatusOr<v1::Org> one = (*client)->GetOrg(list_params->id);
      if (!one.ok()) return one.status();
      if (list_params->name.empty() || one->name() == list_params->name) orgs.push_back(*one);
    } else {
      v1::ListOrgsRequest req;
      req.set_name(list_params->name);
      absl::StatusOr<v1::ListOrgsResponse> listed = (*client)->ListOrgs(req);
      if (!listed.ok()) return listed.status();
      orgs.assign(listed->orgs().begin(), listed->orgs().end());
    }
    PrintOrgs(*ctx, orgs, false, false);
    return absl::OkStatus();
  });

  auto update_params = std::make_shared<OrgUpdateParams>();
  CLI::App* update = org->add_subcommand("update", "Update organization");
  update->add_option("-i,--id", update_params->id, "The organization ID")->required();
  update_params->description_flag = update->add_option(
      "-d,--description", update_params->description, "New description (empty clears it)");
  update_params->max_token_lifetime_flag = update->add_option(
      "--max-token-lifetime", update_params->max_token_lifetime,
      "Longest lifetime of the org's new or extended tokens, e.g. 90d; 0 removes the limit");
  ctx->SetAction(update, [ctx, update_params] { return UpdateOrg(*ctx, *update_params); });

  auto delete_id = std::make_shared<std::string>();
  CLI::App* del = org->add_subcommand("delete", "Delete organization");
  del->add_option("-i,--id", *delete_id, "The organization ID")->required();
  ctx->SetAction(del, [ctx, delete_id]() -> absl::Status {
    absl::StatusOr<ApiClient*> client = ctx->client();
    if (!client.ok()) return client.status();
    absl::StatusOr<v1::Org> existing = (*client)->GetOrg(*delete_id);
    if (!existing.ok()) return existing.status();
    if (absl::Status s = (*client)->DeleteOrg(*delete_id); !s.ok()) return s;
    PrintOrgs(*ctx, {*existing}, true, true);
    return absl::OkStatus();
  });
}

// ---- users ----

JsonValue UserJson(const v1::User& u) {
  JsonValue out = JsonValue::Object();
  out.Set("id", JsonValue::String(u.id()))
      .Set("name", JsonValue::String(u.name()))
      .Set("status", JsonValue::String(u.status()));
  return out;
}

void PrintUsers(CommandContext& ctx, const std::vector<v1::User>& users, bool single,
                bool deleted) {
  Printer printer = ctx.printer();
  if (printer.json()) {
    if (single && users.size() == 1) return printer.Json(UserJson(users.front()));
    JsonValue list = JsonValue::Array();
    for (const v1::User& u : users) list.Add(UserJson(u));
    return printer.Json(list);
  }
  std::vector<std::string> headers = {"ID", "Name"};
  if (deleted) headers.push_back("Deleted");
  std::vector<std::vector<std::string>> rows;
  for (const v1::User& u : users) {
    rows.push_back({u.id(), u.name()});
    if (deleted) rows.back().push_back("true");
  }
  printer.Table(headers, rows);
}

struct UserParams {
  std::string name;
  std::string id;
  std::string password;
};

absl::Status SetUserPassword(CommandContext& ctx, const UserParams& p) {
  if (p.id.empty() && p.name.empty()) {
    return absl::InvalidArgumentError("must specify user ID or user name");
  }
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  std::string id = p.id;
  std::string display = p.id;
  if (id.empty()) {
    display = p.name;
    absl::StatusOr<std::string> found = ResolveUserId(ctx, p.name);
    if (!found.ok()) {
      if (absl::IsNotFound(found.status())) {
        return absl::NotFoundError(absl::StrCat("no user found with name \"", p.name, "\""));
      }
      return found.status();
    }
    id = *found;
  }
  std::string password = p.password;
  if (password.empty()) {
    absl::StatusOr<std::string> typed =
        ctx.prompter().GetPassword(absl::StrCat("Please type new password for \"", display, "\""));
    if (!typed.ok()) return typed.status();
    password = *typed;
    ctx.AddSecret(password);
  }
  v1::SetPasswordRequest req;
  req.set_user_id(id);
  req.set_password(password);
  if (absl::Status s = (*client)->SetPassword(req); !s.ok()) return s;
  ctx.printer().Line(absl::StrCat("Successfully updated password for user \"", display, "\""));
  return absl::OkStatus();
}

void AddUserCommands(CLI::App* root, CommandContext* ctx) {
  CLI::App* user = root->add_subcommand("user", "User management commands");
  user->require_subcommand(1);

  auto create_params = std::make_shared<UserParams>();
  CLI::App* create = user->add_subcommand("create", "Create user");
  create->add_option("-n,--name", create_params->name, "The user name")->required();
  create->add_option("-p,--password", create_params->password, "The user password");
  ctx->SetAction(create, [ctx, create_params]() -> absl::Status {
    if (!create_params->password.empty() && create_params->password.size() < kMinPasswordLength) {
      return absl::InvalidArgumentError("password is too short");
    }
    absl::StatusOr<ApiClient*> client = ctx->client();
    if (!client.ok()) return client.status();
    v1::CreateUserRequest req;
    req.set_name(create_params->name);
    req.set_password(create_params->password);
    absl::StatusOr<v1::User> created = (*client)->CreateUser(req);
    if (!created.ok()) return created.status();
    PrintUsers(*ctx, {*created}, true, false);
    if (create_params->password.empty()) {
      ctx->Warn("initial password not set for user, use `authctl user password` to set it");
    }
    return absl::OkStatus();
  });

  auto list_params = std::make_shared<UserParams>();
  CLI::App* list = user->add_subcommand("list", "List users");
  list->alias("find");
  list->alias("ls");
  list->add_option("-i,--id", list_params->id, "The user ID");
  list->add_option("-n,--name", list_params->name, "The user name");
  ctx->SetAction(list, [ctx, list_params]() -> absl::Status {
    absl::StatusOr<ApiClient*> client = ctx->client();
    if (!client.ok()) return client.status();
    std::vector<v1::User> users;
    if (!list_params->id.empty()) {
      absl::StatusOr<v1::User> one = (*client)->GetUser(list_params->id);
      if (!one.ok()) return one.status();
      if (list_params->name.empty() || one->name() == list_params->name) users.push_back(*one);
    } else {
      v1::ListUsersRequest req;
      req.set_name(list_params->name);
      absl::StatusOr<v1::ListUsersResponse> listed = (*client)->ListUsers(req);
      if (!listed.ok()) return listed.status();
      users.assign(listed->users().begin(), listed->users().end());
    }
    PrintUsers(*ctx, users, false, false);
    return absl::OkStatus();
  });

  auto delete_id = std::make_shared<std::string>();
  CLI::App* del = user->add_subcommand("delete", "Delete user");
  del->add_option("-i,--id", *delete_id, "The user ID")->required();
  ctx->SetAction(del, [ctx, delete_id]() -> absl::Status {
    absl::StatusOr<ApiClient*> client = ctx->client();
    if (!client.ok()) return client.status();
    absl::StatusOr<v1::User> existing = (*client)->GetUser(*delete_id);
    if (!existing.ok()) return existing.status();
    if (absl::Status s = (*client)->DeleteUser(*delete_id); !s.ok()) return s;
    PrintUsers(*ctx, {*existing}, true, true);
    return absl::OkStatus();
  });

  auto password_params = std::make_shared<UserParams>();
  CLI::App* password = user->add_subcommand("password", "Update user password");
  password->add_option("-i,--id", password_params->id, "The user ID");
  password->add_option("-n,--name", password_params->name, "The user name");
  password->add_option("-p,--password", password_params->password,
                       "Password to set on the user (prompted for when missing)");
  ctx->SetAction(password,
                 [ctx, password_params] { return SetUserPassword(*ctx, *password_params); });
}

// ---- buckets ----

JsonValue BucketJson(const v1::Bucket& b) {
  JsonValue out = JsonValue::Object();
  out.Set("id", JsonValue::String(b.id()))
      .Set("orgID", JsonValue::String(b.org_id()))
      .Set("name", JsonValue::String(b.name()))
      .Set("description", JsonValue::String(b.description()))
      .Set("retentionPeriodSeconds", JsonValue::Int(b.retention_period_seconds()))
      .Set("createdAt", JsonValue::String(FormatTimestamp(b.created_at())))
      .Set("updatedAt", JsonValue::String(FormatTimestamp(b.updated_at())));
  return out;
}

void PrintBuckets(CommandContext& ctx, const std::vector<v1::Bucket>& buckets, bool single,
                  bool deleted) {
  Printer printer = ctx.printer();
  if (printer.json()) {
    if (single && buckets.size() == 1) return printer.Json(BucketJson(buckets.front()));
    JsonValue list = JsonValue::Array();
    for (const v1::Bucket& b : buckets) list.Add(BucketJson(b));
    return printer.Json(list);
  }
  std::vector<std::string> headers = {"ID", "Name", "Retention", "Organization ID"};
  if (deleted) headers.push_back("Deleted");
  std::vector<std::vector<std::string>> rows;
  for (const v1::Bucket& b : buckets) {
    rows.push_back({b.id(), b.name(), FormatRetention(b.retention_period_seconds()), b.org_id()});
    if (deleted) rows.back().push_back("true");
  }
  printer.Table(headers, rows);
}

struct BucketParams {
  std::string id;
  std::string name;
  std::string description;
  std::string retention;
  std::string org;
  std::string org_id;
};

void AddOrgFlags(CLI::App* cmd, BucketParams* p) {
  cmd->add_option("--org-id", p->org_id, "The ID of the organization");
  cmd->add_option("-o,--org", p->org, "The name of the organization");
}

absl::Status CreateBucket(CommandContext& ctx, const BucketParams& p) {
  absl::StatusOr<int64_t> retention = ParseDurationSeconds(p.retention);
  if (!retention.ok()) return retention.status();
  absl::StatusOr<std::string> org_id = ResolveOrgId(ctx, p.org, p.org_id);
  if (!org_id.ok()) return org_id.status();
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  v1::CreateBucketRequest req;
  req.set_org_id(*org_id);
  req.set_name(p.name);
  req.set_description(p.description);
  req.set_retention_period_seconds(*retention);
  absl::StatusOr<v1::Bucket> created = (*client)->CreateBucket(req);
  if (!created.ok()) return created.status();
  PrintBuckets(ctx, {*created}, true, false);
  return absl::OkStatus();
}

absl::Status ListBuckets(CommandContext& ctx, const BucketParams& p) {
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  std::vector<v1::Bucket> buckets;
  if (!p.id.empty()) {
    absl::StatusOr<v1::Bucket> one = (*client)->GetBucket(p.id);
    if (!one.ok()) return one.status();
    if (p.name.empty() || one->name() == p.name) buckets.push_back(*one);
    PrintBuckets(ctx, buckets, false, false);
    return absl::OkStatus();
  }
  v1::ListBucketsRequest req;
  req.set_name(p.name);
  // The org flags, else the profile's org; with neither, every bucket the caller may read.
  absl::StatusOr<std::string> org_id = ResolveOrgId(ctx, p.org, p.org_id, /*required=*/false);
  if (!org_id.ok()) return org_id.status();
  req.set_org_id(*org_id);
  absl::StatusOr<v1::ListBucketsResponse> listed = (*client)->ListBuckets(req);
  if (!listed.ok()) return listed.status();
  buckets.assign(listed->buckets().begin(), listed->buckets().end());
  PrintBuckets(ctx, buckets, false, false);
  return absl::OkStatus();
}

absl::Status DeleteBucket(CommandContext& ctx, const BucketParams& p) {
  if (p.id.empty() && p.name.empty()) {
    return absl::InvalidArgumentError("must specify bucket ID or bucket name");
  }
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();
  v1::Bucket bucket;
  if (!p.id.empty()) {
    absl::StatusOr<v1::Bucket> one = (*client)->GetBucket(p.id);
    if (!one.ok()) return one.status();
    bucket = *one;
  } else {
    absl::StatusOr<std::string> org_id = ResolveOrgId(ctx, p.org, p.org_id, /*required=*/false);
    if (!org_id.ok()) return org_id.status();
    if (org_id->empty()) {
      return absl::InvalidArgumentError(
          "must specify org ID or org name when deleting bucket by name");
    }
    v1::ListBucketsRequest req;
    req.set_org_id(*org_id);
    req.set_name(p.name);
    absl::StatusOr<v1::ListBucketsResponse> listed = (*client)->ListBuckets(req);
    if (!listed.ok()) return listed.status();
    if (listed->buckets().empty()) {
      return absl::NotFoundError(absl::StrCat("bucket \"", p.name, "\" not found"));
    }
    bucket = listed->buckets(0);
  }
  if (absl::Status s = (*client)->DeleteBucket(bucket.id()); !s.ok()) return s;
  PrintBuckets(ctx, {bucket}, true, true);
  return absl::OkStatus();
}

void AddBucketCommands(CLI::App* root, CommandContext* ctx) {
  CLI::App* bucket = root->add_subcommand("bucket", "Bucket management commands");
  bucket->require_subcommand(1);

  auto create_params = std::make_shared<BucketParams>();
  CLI::App* create = bucket->add_subcommand("create", "Create bucket");
  create->add_option("-n,--name", create_params->name, "New bucket name")->required();
  create->add_option("-d,--description", create_params->description,
                     "Description of the bucket that will be created");
  create->add_option("-r,--retention", create_params->retention,
                     "Duration bucket will retain data, or 0 for infinite");
  AddOrgFlags(create, create_params.get());
  ctx->SetAction(create, [ctx, create_params] { return CreateBucket(*ctx, *create_params); });

  auto list_params = std::make_shared<BucketParams>();
  CLI::App* list = bucket->add_subcommand("list", "List buckets");
  list->alias("find");
  list->alias("ls");
  list->add_option("-i,--id", list_params->id, "The bucket ID");
  list->add_option("-n,--name", list_params->name, "The bucket name");
  AddOrgFlags(list, list_params.get());
  ctx->SetAction(list, [ctx, list_params] { return ListBuckets(*ctx, *list_params); });

  auto delete_params = std::make_shared<BucketParams>();
  CLI::App* del = bucket->add_subcommand("delete", "Delete bucket");
  del->add_option("-i,--id", delete_params->id, "The bucket ID, required if name isn't provided");
  del->add_option("-n,--name", delete_params->name,
                  "The bucket name, org or org-id will be required by choosing this");
  AddOrgFlags(del, delete_params.get());
  ctx->SetAction(del, [ctx, delete_params] { return DeleteBucket(*ctx, *delete_params); });
}

}  // namespace

void AddTenantCommands(CLI::App* root, CommandContext* ctx) {
  AddOrgCommands(root, ctx);
  AddUserCommands(root, ctx);
  AddBucketCommands(root, ctx);
}

}  // namespace authd::cli
