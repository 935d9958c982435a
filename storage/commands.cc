#include "storage/commands.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authz/canned.h"
#include "authz/token_hash.h"
#include "base/status_macros.h"
#include "storage/keys.h"

namespace authd::storage {
namespace {

using authz::FormatId;
using authz::Id;

// Draws before giving up on a fresh ID: 64-bit random IDs collide with a live one about never;
// only a broken IdSource exhausts this.
constexpr int kFreshIdAttempts = 64;

template <typename T>
absl::StatusOr<T> GetRecord(StateReader& state, const ProjectionBatch::Key& row,
                            absl::string_view what, Id id) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, state.Get(row.first, row.second));
  if (!bytes) return absl::NotFoundError(NotFoundMessage(what, id));
  return Decode<T>(*bytes, what);
}

// An ID unused in `row_of`'s column family (and not `taken`, drawn earlier in this decision).
template <typename RowOf>
absl::StatusOr<Id> FreshId(StateReader& state, const CommandContext& ctx, RowOf row_of,
                           const std::vector<Id>& taken = {}) {
  for (int attempt = 0; attempt < kFreshIdAttempts; ++attempt) {
    Id id = ctx.ids->Next();
    if (id < 1000 || std::find(taken.begin(), taken.end(), id) != taken.end()) continue;
    const ProjectionBatch::Key row = row_of(id);
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> existing, state.Get(row.first, row.second));
    if (!existing) return id;
  }
  return absl::UnavailableError("could not draw a fresh ID");
}

Decision OneEvent(pb::Event event) {
  Decision d;
  d.events.push_back(std::move(event));
  return d;
}

std::string FormatNanos(int64_t nanos) { return absl::FormatDuration(absl::Nanoseconds(nanos)); }

// The authorization `id`, nullopt when it does not exist. Errors: kDataLoss, the reader's.
absl::StatusOr<std::optional<pb::AuthorizationRecord>> FindAuthorization(StateReader& state,
                                                                         Id id) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                         state.Get(kAuthorizationsCf, EncodeU64(id)));
  if (!bytes) return std::optional<pb::AuthorizationRecord>();
  AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth,
                         Decode<pb::AuthorizationRecord>(*bytes, "authorization"));
  return std::optional<pb::AuthorizationRecord>(std::move(auth));
}

// Deletes `auth`, naming its org and user in the event (for watchers' scope checks).
void AddAuthorizationDeleted(const pb::AuthorizationRecord& auth, Decision* d) {
  pb::AuthorizationDeleted* deleted = d->events.emplace_back().mutable_authorization_deleted();
  deleted->set_id(auth.id());
  deleted->set_org_id(auth.org_id());
  deleted->set_user_id(auth.user_id());
}

}  // namespace

int64_t MaxTokenLifetime(const CommandContext& ctx, const pb::OrgRecord& org) {
  const int64_t server = ctx.max_token_lifetime_nanos;
  const int64_t own = org.max_token_lifetime_nanos();
  if (server == 0) return own;
  if (own == 0) return server;
  return std::min(server, own);
}

absl::Status CheckExpiry(const CommandContext& ctx, const pb::OrgRecord& org, int64_t expires_at,
                         absl::string_view field) {
  const int64_t limit = MaxTokenLifetime(ctx, org);
  if (expires_at == 0) {
    if (limit == 0) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": a token of org \"", org.name(), "\" must expire: the maximum token lifetime is ",
        FormatNanos(limit)));
  }
  if (expires_at <= ctx.now_unix_nanos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be in the future"));
  }
  if (expires_at - ctx.now_unix_nanos > authz::kMaxTokenLifetimeNanos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": more than 100 years from now"));
  }
  if (limit != 0 && expires_at - ctx.now_unix_nanos > limit) {
    const bool org_limit = org.max_token_lifetime_nanos() == limit;
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": beyond the maximum token lifetime of ", FormatNanos(limit), " (",
        org_limit ? absl::StrCat("org \"", org.name(), "\"'s max_token_lifetime")
                  : std::string("the server's --max-token-lifetime"),
        ")"));
  }
  return absl::OkStatus();
}

std::string NotFoundMessage(absl::string_view what, Id id) {
  return absl::StrCat(what, " ", FormatId(id), " not found");
}

absl::StatusOr<std::optional<Id>> LookupName(StateReader& state, const std::string& key) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, state.Get(kTenantsCf, key));
  if (!bytes) return std::optional<Id>();
  auto id = DecodeU64(*bytes);
  if (!id) return absl::DataLossError("corrupt stored name index");
  return std::optional<Id>(*id);
}

Id RandomIds::Next() { return authz::NewRandomId(); }

ProjectionBatch::Key UserRow(Id id) { return {std::string(kTenantsCf), TaggedIdKey(kUserTag, id)}; }
ProjectionBatch::Key OrgRow(Id id) { return {std::string(kTenantsCf), TaggedIdKey(kOrgTag, id)}; }
ProjectionBatch::Key BucketRow(Id id) {
  return {std::string(kTenantsCf), TaggedIdKey(kBucketTag, id)};
}
ProjectionBatch::Key AuthorizationRow(Id id) {
  return {std::string(kAuthorizationsCf), EncodeU64(id)};
}

absl::StatusOr<bool> SetupAllowed(StateReader& state) {
  for (char tag : {kUserTag, kOrgTag}) {
    AUTHD_ASSIGN_OR_RETURN(auto found, state.EntriesWithPrefix(kTenantsCf, std::string(1, tag), "", 1));
    if (!found.empty()) return false;
  }
  return true;
}

absl::StatusOr<Decision> DecideSetup(StateReader& state, const CommandContext& ctx,
                                     const SetupCommand& command) {
  AUTHD_ASSIGN_OR_RETURN(bool allowed, SetupAllowed(state));
  if (!allowed) return absl::FailedPreconditionError("onboarding has already been completed");
  const int64_t now = ctx.now_unix_nanos;

  AUTHD_ASSIGN_OR_RETURN(Id user_id, FreshId(state, ctx, UserRow));
  AUTHD_ASSIGN_OR_RETURN(Id org_id, FreshId(state, ctx, OrgRow, {user_id}));
  AUTHD_ASSIGN_OR_RETURN(Id bucket_id, FreshId(state, ctx, BucketRow, {user_id, org_id}));
  AUTHD_ASSIGN_OR_RETURN(Id auth_id, FreshId(state, ctx, AuthorizationRow));

  Decision d;
  d.events.resize(5);
  pb::UserRecord* user = d.events[0].mutable_user_created()->mutable_user();
  user->set_id(user_id);
  user->set_name(command.username);
  user->set_status(pb::STATUS_ACTIVE);
  user->set_password_hash(command.password_hash);
  user->set_created_at_unix_nanos(now);
  user->set_updated_at_unix_nanos(now);

  pb::OrgRecord* org = d.events[1].mutable_org_created()->mutable_org();
  org->set_id(org_id);
  org->set_name(command.org);
  org->set_created_at_unix_nanos(now);
  org->set_updated_at_unix_nanos(now);

  pb::BucketRecord* bucket = d.events[2].mutable_bucket_created()->mutable_bucket();
  bucket->set_id(bucket_id);
  bucket->set_org_id(org_id);
  bucket->set_name(command.bucket);
  bucket->set_retention_period_seconds(command.retention_period_seconds);
  bucket->set_created_at_unix_nanos(now);
  bucket->set_updated_at_unix_nanos(now);

  pb::AuthorizationRecord* auth = d.events[3].mutable_authorization_created()->mutable_authorization();
  auth->set_id(auth_id);
  auth->set_status(pb::STATUS_ACTIVE);
  auth->set_description(absl::StrCat(command.username, "'s Token"));
  auth->set_org_id(org_id);
  auth->set_user_id(user_id);
  for (const authz::Permission& p : authz::OperatorPermissions()) {
    *auth->add_permissions() = ToRecord(p);
  }
  auth->set_token_hash(authz::HashToken(command.token));
  auth->set_created_at_unix_nanos(now);
  auth->set_updated_at_unix_nanos(now);
  if (command.token_expires_at_unix_nanos != 0) {
    if (command.token_expires_at_unix_nanos <= now) {
      return absl::InvalidArgumentError("token_expires_at: must be in the future");
    }
    auth->set_expires_at_unix_nanos(command.token_expires_at_unix_nanos);
  }

  pb::InstanceRecord* instance = d.events[4].mutable_setup_completed()->mutable_instance();
  instance->set_owner_user_id(user_id);
  instance->set_setup_org_id(org_id);
  instance->set_setup_at_unix_nanos(now);

  if (ctx.keep_raw_tokens) d.raw_tokens.emplace_back(auth_id, command.token);
  d.actor = Actor{0, user_id};
  d.result_keys = {UserRow(user_id), OrgRow(org_id), BucketRow(bucket_id), AuthorizationRow(auth_id)};
  return d;
}

absl::StatusOr<Decision> DecideCreateOrg(StateReader& state, const CommandContext& ctx,
                                         const std::string& name, const std::string& description) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<Id> existing,
                         LookupName(state, TaggedNameKey(kOrgNameTag, name)));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("organization name \"", name, "\" is already in use"));
  }
  AUTHD_ASSIGN_OR_RETURN(Id id, FreshId(state, ctx, OrgRow));
  pb::Event event;
  pb::OrgRecord* org = event.mutable_org_created()->mutable_org();
  org->set_id(id);
  org->set_name(name);
  org->set_description(description);
  org->set_created_at_unix_nanos(ctx.now_unix_nanos);
  org->set_updated_at_unix_nanos(ctx.now_unix_nanos);
  Decision d = OneEvent(std::move(event));
  d.result_keys = {OrgRow(id)};
  return d;
}

absl::StatusOr<Decision> DecideDeleteOrgStep(StateReader& state, const CommandContext& ctx,
                                             Id id, const DeleteOrgCursor& cursor,
                                             DeleteOrgCursor* next, size_t max_events) {
  AUTHD_RETURN_IF_ERROR(GetRecord<pb::OrgRecord>(state, OrgRow(id), "org", id).status());
  if (max_events == 0) return absl::InvalidArgumentError("DeleteOrg step of 0 events");
  Decision d;
  // The org's tokens, through the by-org index ([org id][auth id] -> ""), from the cursor; once
  // none is left there, from the start again (the one step that reads past every deletion).
  const std::string org_prefix = EncodeU64(id);
  bool from_start = cursor.from.empty();
  AUTHD_ASSIGN_OR_RETURN(auto auths, state.EntriesWithPrefix(kAuthByOrgCf, org_prefix,
                                                             cursor.from, max_events));
  if (auths.empty() && !from_start) {
    from_start = true;
    AUTHD_ASSIGN_OR_RETURN(auths, state.EntriesWithPrefix(kAuthByOrgCf, org_prefix, "",
                                                          max_events));
  }
  for (const auto& [key, value] : auths) {
    auto auth_id = DecodeU64(absl::string_view(key).substr(8));
    if (!auth_id) return absl::DataLossError("corrupt authorization secondary index");
    AUTHD_ASSIGN_OR_RETURN(std::optional<pb::AuthorizationRecord> auth,
                           FindAuthorization(state, *auth_id));
    if (auth) {
      AddAuthorizationDeleted(*auth, &d);
    } else {
      // An index entry without its token (as before deletions named org and user): deleted by
      // ID, as it always was, so the org can still go.
      pb::AuthorizationDeleted* deleted = d.events.emplace_back().mutable_authorization_deleted();
      deleted->set_id(*auth_id);
      deleted->set_org_id(id);
    }
  }
  next->from.clear();
  // Only a listing from the org's first token that came back short holds every token left: then
  // this step goes on to the buckets and the org. Otherwise the next step goes on just after the
  // last key deleted here.
  if (!from_start || auths.size() == max_events) {
    next->from = auths.back().first + std::string(1, '\0');
    d.more = true;
    return d;
  }
  // Its buckets, through the bucket-name index ('B' [org id] name -> bucket id).
  AUTHD_ASSIGN_OR_RETURN(auto buckets,
                         state.EntriesWithPrefix(kTenantsCf,
                                                 std::string(1, kBucketNameTag) + EncodeU64(id),
                                                 "", max_events + 1));
  for (const auto& [key, value] : buckets) {
    if (d.events.size() == max_events) {
      d.more = true;
      return d;
    }
    auto bucket_id = DecodeU64(value);
    if (!bucket_id) return absl::DataLossError("corrupt stored name index");
    d.events.emplace_back().mutable_bucket_deleted()->set_id(*bucket_id);
  }
  if (d.events.size() == max_events) {
    d.more = true;
    return d;
  }
  d.events.emplace_back().mutable_org_deleted()->set_id(id);
  return d;
}

absl::StatusOr<Decision> DecideCreateUser(StateReader& state, const CommandContext& ctx,
                                          const std::string& name, const std::string& password_hash,
                                          bool active) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<Id> existing,
                         LookupName(state, TaggedNameKey(kUserNameTag, name)));
  if (existing) {
    return absl::AlreadyExistsError(absl::StrCat("user with name \"", name, "\" already exists"));
  }
  AUTHD_ASSIGN_OR_RETURN(Id id, FreshId(state, ctx, UserRow));
  pb::Event event;
  pb::UserRecord* user = event.mutable_user_created()->mutable_user();
  user->set_id(id);
  user->set_name(name);
  user->set_status(ToStatus(active));
  user->set_password_hash(password_hash);
  user->set_created_at_unix_nanos(ctx.now_unix_nanos);
  user->set_updated_at_unix_nanos(ctx.now_unix_nanos);
  Decision d = OneEvent(std::move(event));
  d.result_keys = {UserRow(id)};
  return d;
}

absl::StatusOr<Decision> DecideUpdateUser(StateReader& state, const CommandContext& ctx, Id id,
                                          const std::optional<std::string>& name,
                                          std::optional<bool> active) {
  AUTHD_ASSIGN_OR_RETURN(pb::UserRecord user, GetRecord<pb::UserRecord>(state, UserRow(id), "user", id));
  pb::Event event;
  pb::UserUpdated* update = event.mutable_user_updated();
  update->set_id(id);
  if (name && *name != user.name()) {
    AUTHD_ASSIGN_OR_RETURN(std::optional<Id> existing,
                           LookupName(state, TaggedNameKey(kUserNameTag, *name)));
    if (existing) {
      return absl::AlreadyExistsError(absl::StrCat("user with name \"", *name, "\" already exists"));
    }
    update->set_name(*name);
  }
  if (active) update->set_status(ToStatus(*active));
  Decision d = OneEvent(std::move(event));
  d.result_keys = {UserRow(id)};
  return d;
}

absl::StatusOr<Decision> DecideDeleteUser(StateReader& state, const CommandContext& ctx, Id id) {
  AUTHD_RETURN_IF_ERROR(GetRecord<pb::UserRecord>(state, UserRow(id), "user", id).status());
  pb::Event event;
  event.mutable_user_deleted()->set_id(id);
  return OneEvent(std::move(event));
}

absl::StatusOr<Decision> DecideSetPassword(StateReader& state, const CommandContext& ctx,
                                           Id user_id, const std::string& password_hash) {
  AUTHD_RETURN_IF_ERROR(
      GetRecord<pb::UserRecord>(state, UserRow(user_id), "user", user_id).status());
  pb::Event event;
  event.mutable_password_set()->set_user_id(user_id);
  event.mutable_password_set()->set_password_hash(password_hash);
  return OneEvent(std::move(event));
}

absl::StatusOr<Decision> DecideCreateBucket(StateReader& state, const CommandContext& ctx,
                                            Id org_id, const std::string& name,
                                            const std::string& description,
                                            int64_t retention_period_seconds) {
  AUTHD_RETURN_IF_ERROR(GetRecord<pb::OrgRecord>(state, OrgRow(org_id), "org", org_id).status());
  AUTHD_ASSIGN_OR_RETURN(std::optional<Id> existing, LookupName(state, BucketNameKey(org_id, name)));
  if (existing) {
    return absl::AlreadyExistsError(absl::StrCat("bucket with name \"", name, "\" already exists"));
  }
  AUTHD_ASSIGN_OR_RETURN(Id id, FreshId(state, ctx, BucketRow));
  pb::Event event;
  pb::BucketRecord* bucket = event.mutable_bucket_created()->mutable_bucket();
  bucket->set_id(id);
  bucket->set_org_id(org_id);
  bucket->set_name(name);
  bucket->set_description(description);
  bucket->set_retention_period_seconds(retention_period_seconds);
  bucket->set_created_at_unix_nanos(ctx.now_unix_nanos);
  bucket->set_updated_at_unix_nanos(ctx.now_unix_nanos);
  Decision d = OneEvent(std::move(event));
  d.result_keys = {BucketRow(id)};
  return d;
}

absl::StatusOr<Decision> DecideDeleteBucket(StateReader& state, const CommandContext& ctx, Id id) {
  AUTHD_RETURN_IF_ERROR(GetRecord<pb::BucketRecord>(state, BucketRow(id), "bucket", id).status());
  pb::Event event;
  event.mutable_bucket_deleted()->set_id(id);
  return OneEvent(std::move(event));
}

absl::StatusOr<Decision> DecideCreateAuthorization(StateReader& state, const CommandContext& ctx,
                                                   const NewAuthorization& request) {
  if (request.token.empty()) return absl::InternalError("CreateAuthorization without a token");
  // InfluxDB answers an unknown user or org with one deliberately vague message.
  absl::StatusOr<pb::OrgRecord> org =
      GetRecord<pb::OrgRecord>(state, OrgRow(request.org_id), "org", request.org_id);
  if (!org.ok()) {
    if (absl::IsNotFound(org.status())) {
      return absl::InvalidArgumentError("unable to create token: org not found");
    }
    return org.status();
  }
  int64_t expires_at = request.expires_at_unix_nanos;
  // A maximum lifetime is also the default one: InfluxDB's clients never ask for an expiry.
  if (expires_at == 0 && MaxTokenLifetime(ctx, *org) != 0) {
    expires_at = ctx.now_unix_nanos + MaxTokenLifetime(ctx, *org);
  }
  if (expires_at != 0) {
    AUTHD_RETURN_IF_ERROR(CheckExpiry(ctx, *org, expires_at, request.expiry_field));
  }
  if (absl::Status s =
          GetRecord<pb::UserRecord>(state, UserRow(request.user_id), "user", request.user_id)
              .status();
      !s.ok()) {
    if (absl::IsNotFound(s)) return absl::InvalidArgumentError("unable to create token: user not found");
    return s;
  }
  std::string index_key = authz::HashToken(request.token);
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> clash, state.Get(kTokenIndexCf, index_key));
  if (clash) return absl::AlreadyExistsError("token already exists");

  AUTHD_ASSIGN_OR_RETURN(Id id, FreshId(state, ctx, AuthorizationRow));
  pb::Event event;
  pb::AuthorizationRecord* auth = event.mutable_authorization_created()->mutable_authorization();
  auth->set_id(id);
  auth->set_status(ToStatus(request.active));
  auth->set_description(request.description);
  auth->set_org_id(request.org_id);
  auth->set_user_id(request.user_id);
  for (const authz::Permission& p : request.permissions) *auth->add_permissions() = ToRecord(p);
  auth->set_token_hash(std::move(index_key));
  auth->set_created_at_unix_nanos(ctx.now_unix_nanos);
  auth->set_updated_at_unix_nanos(ctx.now_unix_nanos);
  auth->set_expires_at_unix_nanos(expires_at);
  Decision d = OneEvent(std::move(event));
  if (ctx.keep_raw_tokens) d.raw_tokens.emplace_back(id, request.token);
  d.result_keys = {AuthorizationRow(id)};
  return d;
}

absl::StatusOr<Decision> DecideUpdateAuthorization(StateReader& state, const CommandContext& ctx,
                                                   Id id, std::optional<bool> active,
                                                   const std::optional<std::string>& description,
                                                   std::optional<int64_t> expires_at) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                         state.Get(kAuthorizationsCf, EncodeU64(id)));
  if (!existing) return absl::NotFoundError("authorization not found");
  pb::Event event;
  pb::AuthorizationUpdated* update = event.mutable_authorization_updated();
  update->set_id(id);
  if (active) update->set_status(ToStatus(*active));
  if (description) update->set_description(*description);
  std::optional<pb::AuthorizationRecord> auth;
  if (expires_at) {
    AUTHD_ASSIGN_OR_RETURN(auth, Decode<pb::AuthorizationRecord>(*existing, "authorization"));
    // The stored expiry sent back (a client PATCHing what it read) changes nothing and is not
    // judged again, even if it has passed or a limit was lowered since.
    if (*expires_at == auth->expires_at_unix_nanos()) expires_at.reset();
  }
  if (expires_at) {
    AUTHD_ASSIGN_OR_RETURN(pb::OrgRecord org,
                           GetRecord<pb::OrgRecord>(state, OrgRow(auth->org_id()), "org",
                                                    auth->org_id()));
    AUTHD_RETURN_IF_ERROR(CheckExpiry(ctx, org, *expires_at,
                                      *expires_at == 0 ? "never_expires" : "expires_at"));
    update->set_expires_at_unix_nanos(*expires_at);
  }
  Decision d = OneEvent(std::move(event));
  d.result_keys = {AuthorizationRow(id)};
  return d;
}

absl::StatusOr<Decision> DecideDeleteAuthorization(StateReader& state, const CommandContext& ctx,
                                                   Id id) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<pb::AuthorizationRecord> existing,
                         FindAuthorization(state, id));
  if (!existing) return absl::NotFoundError("authorization not found");
  Decision d;
  AddAuthorizationDeleted(*existing, &d);
  return d;
}

absl::StatusOr<Decision> DecideRotateAuthorization(StateReader& state, const CommandContext& ctx,
                                                   Id id, const std::string& token,
                                                   int64_t grace_nanos) {
  if (token.empty()) return absl::InternalError("RotateAuthorization without a token");
  AUTHD_ASSIGN_OR_RETURN(std::optional<pb::AuthorizationRecord> found, FindAuthorization(state, id));
  if (!found) return absl::NotFoundError("authorization not found");
  const pb::AuthorizationRecord& auth = *found;
  if (auth.expires_at_unix_nanos() != 0 && auth.expires_at_unix_nanos() <= ctx.now_unix_nanos) {
    return absl::FailedPreconditionError(
        "authorization has expired: extend its expires_at before rotating it");
  }
  if (grace_nanos < 0) return absl::InvalidArgumentError("grace_period: must not be negative");
  if (grace_nanos > authz::kMaxTokenLifetimeNanos) {
    return absl::InvalidArgumentError("grace_period: more than 100 years");
  }
  AUTHD_ASSIGN_OR_RETURN(pb::OrgRecord org, GetRecord<pb::OrgRecord>(state, OrgRow(auth.org_id()),
                                                                      "org", auth.org_id()));
  const int64_t limit = MaxTokenLifetime(ctx, org);
  if (limit != 0 && grace_nanos > limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grace_period: beyond the maximum token lifetime of ", FormatNanos(limit)));
  }
  std::string index_key = authz::HashToken(token);
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> clash, state.Get(kTokenIndexCf, index_key));
  if (clash) return absl::AlreadyExistsError("token already exists");
  pb::Event event;
  pb::AuthorizationRotated* rotated = event.mutable_authorization_rotated();
  rotated->set_id(id);
  rotated->set_token_hash(std::move(index_key));
  if (grace_nanos > 0) rotated->set_previous_valid_until_unix_nanos(ctx.now_unix_nanos + grace_nanos);
  Decision d = OneEvent(std::move(event));
  if (ctx.keep_raw_tokens) d.raw_tokens.emplace_back(id, token);
  d.result_keys = {AuthorizationRow(id)};
  return d;
}

absl::StatusOr<Decision> DecideUpdateOrg(StateReader& state, const CommandContext& ctx, Id id,
                                         const std::optional<std::string>& description,
                                         std::optional<int64_t> max_token_lifetime_nanos) {
  AUTHD_RETURN_IF_ERROR(GetRecord<pb::OrgRecord>(state, OrgRow(id), "org", id).status());
  if (max_token_lifetime_nanos &&
      (*max_token_lifetime_nanos < 0 || *max_token_lifetime_nanos > authz::kMaxTokenLifetimeNanos)) {
    return absl::InvalidArgumentError(
        "max_token_lifetime: must be between 0 (no limit) and 100 years");
  }
  pb::Event event;
  pb::OrgUpdated* update = event.mutable_org_updated();
  update->set_id(id);
  if (description) update->set_description(*description);
  if (max_token_lifetime_nanos) update->set_max_token_lifetime_nanos(*max_token_lifetime_nanos);
  Decision d = OneEvent(std::move(event));
  d.result_keys = {OrgRow(id)};
  return d;
}

absl::StatusOr<Decision> DecideRecordExpiries(StateReader& state, const CommandContext& ctx,
                                              const std::vector<authz::DueExpiry>& due) {
  Decision d;
  for (const authz::DueExpiry& e : due) {
    AUTHD_ASSIGN_OR_RETURN(std::optional<pb::AuthorizationRecord> found,
                           FindAuthorization(state, e.authorization_id));
    if (!found) continue;  // deleted meanwhile
    const pb::AuthorizationRecord& auth = *found;
    int64_t at = 0;
    if (e.previous_secret) {
      if (auth.previous_token_hash().empty()) continue;
      at = PreviousSecretEnd(auth);
    } else {
      if (auth.expires_at_unix_nanos() == 0 || auth.expiry_recorded()) continue;
      at = auth.expires_at_unix_nanos();
    }
    if (at > ctx.now_unix_nanos) continue;  // extended meanwhile
    pb::AuthorizationExpired* expired = d.events.emplace_back().mutable_authorization_expired();
    expired->set_id(auth.id());
    expired->set_previous_token(e.previous_secret);
    expired->set_at_unix_nanos(at);
  }
  return d;
}

absl::StatusOr<Decision> DecideRecordUsage(StateReader& state, const CommandContext& ctx,
                                           const std::vector<authz::Usage>& uses) {
  Decision d;
  pb::AuthorizationsUsed used;
  for (const authz::Usage& u : uses) {
    AUTHD_ASSIGN_OR_RETURN(std::optional<pb::AuthorizationRecord> auth,
                           FindAuthorization(state, u.authorization_id));
    if (!auth) continue;  // deleted since
    const int64_t at = u.last_used_s * 1000000000;
    if (at <= auth->last_used_at_unix_nanos()) continue;  // already recorded (another replica)
    pb::AuthorizationsUsed::Use* use = used.add_uses();
    use->set_id(u.authorization_id);
    use->set_at_unix_nanos(at);
  }
  if (used.uses_size() > 0) *d.events.emplace_back().mutable_authorizations_used() = std::move(used);
  return d;
}

absl::StatusOr<Decision> DecidePurgeExpired(StateReader& state, const CommandContext& ctx,
                                            const std::vector<Id>& ids,
                                            int64_t cutoff_unix_nanos) {
  Decision d;
  for (Id id : ids) {
    AUTHD_ASSIGN_OR_RETURN(std::optional<pb::AuthorizationRecord> auth, FindAuthorization(state, id));
    if (!auth || !auth->expiry_recorded() || auth->expires_at_unix_nanos() == 0 ||
        auth->expires_at_unix_nanos() > cutoff_unix_nanos) {
      continue;
    }
    AddAuthorizationDeleted(*auth, &d);
  }
  return d;
}

Decision DecideHashRawTokens(const std::vector<Id>& ids) {
  Decision d;
  for (Id id : ids) d.events.emplace_back().mutable_authorization_token_hashed()->set_id(id);
  return d;
}

Decision DecideDeleteAuthorizations(const std::vector<Id>& ids) {
  Decision d;
  for (Id id : ids) d.events.emplace_back().mutable_authorization_deleted()->set_id(id);
  return d;
}

}  // namespace authd::storage
