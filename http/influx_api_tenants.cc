// InfluxApi's routes for orgs, buckets, users, /me, /resources and /config: each one gRPC call
// (TenantService, SessionService, AdminService) and InfluxDB's JSON for its answer. Lists follow
// InfluxDB's `offset` and `limit` (default 20, at most 100) over the caller's readable items, and
// read no more pages than those need.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "http/api_reply.h"
#include "http/influx_api.h"
#include "http/influx_error.h"
#include "http/influx_json.h"

namespace authd::http {
namespace {

struct Window {
  size_t offset = 0;
  size_t limit = 20;
};

// InfluxDB's FindOptions: offset >= 0, 1 <= limit <= 100 (default 20).
bool ParseWindow(const HttpRequest& r, Window* w, HttpResponse* error) {
  if (auto v = r.Query("offset")) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(*v, &n) || n < 0) {
      *error = ErrorResponse(400, kCodeInvalid, "offset: must be an integer >= 0");
      return false;
    }
    w->offset = static_cast<size_t>(n);
  }
  if (auto v = r.Query("limit")) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(*v, &n) || n < 1 || n > 100) {
      *error = ErrorResponse(400, kCodeInvalid, "limit: must be an integer from 1 to 100");
      return false;
    }
    w->limit = static_cast<size_t>(n);
  }
  return true;
}

// Reads pages of a paged list call into `out` until it holds `enough` items or the list ends.
template <typename Request, typename Response, typename Call, typename Items>
grpc::Status ReadAll(Request req, Call call, Items items, size_t enough, Json* out) {
  while (out->size() < enough) {
    Response resp;
    grpc::Status s = call(req, &resp);
    if (!s.ok()) return s;
    items(resp, out);
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  return grpc::Status::OK;
}

Json Slice(const Json& all, const Window& w) {
  Json out = Json::array();
  for (size_t i = w.offset; i < all.size() && out.size() < w.limit; ++i) out.push_back(all[i]);
  return out;
}

Json ListBody(const char* self, const char* key, Json items) {
  Json j = Json::object();
  j["links"] = Json{{"self", self}};
  j[key] = std::move(items);
  return j;
}

}  // namespace

HttpResponse InfluxApi::Tenants(int route, const HttpRequest& r, const RouteMatch& m,
                                const std::string& credentials) const {
  const std::string id(m.Param("id"));
  grpc::Status s;
  switch (route) {
    case kMe: {
      authd::v1::User user;
      s = sessions_->GetCurrentUser(Context(credentials).get(), {}, &user);
      return s.ok() ? JsonReply(200, UserJson(user)) : CallError(s);
    }
    case kOrgList:
      return ListOrgs(r, credentials);
    case kOrgCreate: {
      auto req = CreateOrgFromJson(r.body);
      if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
      authd::v1::Org org;
      s = tenants_->CreateOrg(Context(credentials).get(), *req, &org);
      return s.ok() ? JsonReply(201, OrgJson(org)) : CallError(s);
    }
    case kOrgGet: {
      authd::v1::GetOrgRequest req;
      req.set_id(id);
      authd::v1::Org org;
      s = tenants_->GetOrg(Context(credentials).get(), req, &org);
      return s.ok() ? JsonReply(200, OrgJson(org)) : CallError(s);
    }
    case kOrgDelete: {
      authd::v1::DeleteOrgRequest req;
      req.set_id(id);
      authd::v1::DeleteOrgResponse resp;
      s = tenants_->DeleteOrg(Context(credentials).get(), req, &resp);
      return s.ok() ? NoContent() : CallError(s);
    }
    case kBucketList:
      return ListBuckets(r, credentials);
    case kBucketCreate: {
      auto req = CreateBucketFromJson(r.body);
      if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
      authd::v1::Bucket bucket;
      s = tenants_->CreateBucket(Context(credentials).get(), *req, &bucket);
      return s.ok() ? JsonReply(201, BucketJson(bucket)) : CallError(s);
    }
    case kBucketGet: {
      authd::v1::GetBucketRequest req;
      req.set_id(id);
      authd::v1::Bucket bucket;
      s = tenants_->GetBucket(Context(credentials).get(), req, &bucket);
      return s.ok() ? JsonReply(200, BucketJson(bucket)) : CallError(s);
    }
    case kBucketDelete: {
      authd::v1::DeleteBucketRequest req;
      req.set_id(id);
      authd::v1::DeleteBucketResponse resp;
      s = tenants_->DeleteBucket(Context(credentials).get(), req, &resp);
      return s.ok() ? NoContent() : CallError(s);
    }
    case kUserList:
      return ListUsers(r, credentials);
    case kUserCreate: {
      auto req = CreateUserFromJson(r.body);
      if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
      authd::v1::User user;
      s = tenants_->CreateUser(Context(credentials).get(), *req, &user);
      return s.ok() ? JsonReply(201, UserJson(user)) : CallError(s);
    }
    case kUserGet: {
      authd::v1::GetUserRequest req;
      req.set_id(id);
      authd::v1::User user;
      s = tenants_->GetUser(Context(credentials).get(), req, &user);
      return s.ok() ? JsonReply(200, UserJson(user)) : CallError(s);
    }
    case kUserPatch: {
      auto req = UpdateUserFromJson(id, r.body);
      if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
      authd::v1::User user;
      s = tenants_->UpdateUser(Context(credentials).get(), *req, &user);
      return s.ok() ? JsonReply(200, UserJson(user)) : CallError(s);
    }
    case kUserDelete: {
      authd::v1::DeleteUserRequest req;
      req.set_id(id);
      authd::v1::DeleteUserResponse resp;
      s = tenants_->DeleteUser(Context(credentials).get(), req, &resp);
      return s.ok() ? NoContent() : CallError(s);
    }
    case kUserPassword: {
      auto req = SetPasswordFromJson(id, r.body);
      if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
      authd::v1::SetPasswordResponse resp;
      s = tenants_->SetPassword(Context(credentials).get(), *req, &resp);
      return s.ok() ? NoContent() : CallError(s);
    }
    case kResources: {
      authd::v1::ListResourceTypesResponse resp;
      s = admin_->ListResourceTypes(Context(credentials).get(), {}, &resp);
      if (!s.ok()) return CallError(s);
      Json types = Json::array();
      for (const std::string& t : resp.types()) types.push_back(t);
      return JsonReply(200, types);
    }
    case kConfig:
      return Config(credentials);
    default:
      return ErrorResponse(404, kCodeNotFound, "path not found");
  }
}

HttpResponse InfluxApi::ListOrgs(const HttpRequest& r, const std::string& credentials) const {
  Window w;
  HttpResponse error;
  if (!ParseWindow(r, &w, &error)) return error;
  Json all = Json::array();
  if (auto org_id = r.Query("orgID")) {
    authd::v1::GetOrgRequest req;
    req.set_id(std::string(*org_id));
    authd::v1::Org org;
    grpc::Status s = tenants_->GetOrg(Context(credentials).get(), req, &org);
    if (!s.ok()) return CallError(s);
    all.push_back(OrgJson(org));
  } else {
    authd::v1::ListOrgsRequest req;
    if (auto name = r.Query("org")) req.set_name(std::string(*name));
    grpc::Status s = ReadAll<authd::v1::ListOrgsRequest, authd::v1::ListOrgsResponse>(
        req,
        [&](const auto& q, auto* resp) {
          return tenants_->ListOrgs(Context(credentials).get(), q, resp);
        },
        [](const authd::v1::ListOrgsResponse& resp, Json* out) {
          for (const auto& o : resp.orgs()) out->push_back(OrgJson(o));
        },
        w.offset + w.limit, &all);
    if (!s.ok()) return CallError(s);
  }
  return JsonReply(200, ListBody("/api/v2/orgs", "orgs", Slice(all, w)));
}

HttpResponse InfluxApi::ListBuckets(const HttpRequest& r, const std::string& credentials) const {
  Window w;
  HttpResponse error;
  if (!ParseWindow(r, &w, &error)) return error;
  Json all = Json::array();
  if (auto bucket_id = r.Query("id")) {
    authd::v1::GetBucketRequest req;
    req.set_id(std::string(*bucket_id));
    authd::v1::Bucket bucket;
    grpc::Status s = tenants_->GetBucket(Context(credentials).get(), req, &bucket);
    if (!s.ok()) return CallError(s);
    all.push_back(BucketJson(bucket));
    return JsonReply(200, ListBody("/api/v2/buckets", "buckets", Slice(all, w)));
  }
  authd::v1::ListBucketsRequest req;
  if (auto org_id = r.Query("orgID")) req.set_org_id(std::string(*org_id));
  if (auto name = r.Query("name")) req.set_name(std::string(*name));
  if (auto org = r.Query("org"); org && req.org_id().empty()) {
    // InfluxDB resolves the org's name first: an unknown one is 404.
    authd::v1::ListOrgsRequest q;
    q.set_name(std::string(*org));
    authd::v1::ListOrgsResponse orgs;
    grpc::Status s = tenants_->ListOrgs(Context(credentials).get(), q, &orgs);
    if (!s.ok()) return CallError(s);
    if (orgs.orgs().empty()) {
      return ErrorResponse(404, kCodeNotFound, absl::StrCat("organization name \"", *org, "\" not found"));
    }
    req.set_org_id(orgs.orgs(0).id());
  }
  grpc::Status s = ReadAll<authd::v1::ListBucketsRequest, authd::v1::ListBucketsResponse>(
      req,
      [&](const auto& q, auto* resp) {
        return tenants_->ListBuckets(Context(credentials).get(), q, resp);
      },
      [](const authd::v1::ListBucketsResponse& resp, Json* out) {
        for (const auto& b : resp.buckets()) out->push_back(BucketJson(b));
      },
      w.offset + w.limit, &all);
  if (!s.ok()) return CallError(s);
  return JsonReply(200, ListBody("/api/v2/buckets", "buckets", Slice(all, w)));
}

HttpResponse InfluxApi::ListUsers(const HttpRequest& r, const std::string& credentials) const {
  Window w;
  HttpResponse error;
  if (!ParseWindow(r, &w, &error)) return error;
  Json all = Json::array();
  if (auto user_id = r.Query("id")) {
    authd::v1::GetUserRequest req;
    req.set_id(std::string(*user_id));
    authd::v1::User user;
    grpc::Status s = tenants_->GetUser(Context(credentials).get(), req, &user);
    if (!s.ok()) return CallError(s);
    all.push_back(UserJson(user));
  } else {
    authd::v1::ListUsersRequest req;
    if (auto name = r.Query("name")) req.set_name(std::string(*name));
    grpc::Status s = ReadAll<authd::v1::ListUsersRequest, authd::v1::ListUsersResponse>(
        req,
        [&](const auto& q, auto* resp) {
          return tenants_->ListUsers(Context(credentials).get(), q, resp);
        },
        [](const authd::v1::ListUsersResponse& resp, Json* out) {
          for (const auto& u : resp.users()) out->push_back(UserJson(u));
        },
        w.offset + w.limit, &all);
    if (!s.ok()) return CallError(s);
  }
  return JsonReply(200, ListBody("/api/v2/users", "users", Slice(all, w)));
}

HttpResponse InfluxApi::Config(const std::string& credentials) const {
  authd::v1::GetServerConfigResponse resp;
  grpc::Status s = admin_->GetServerConfig(Context(credentials).get(), {}, &resp);
  if (s.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    // InfluxDB's words and status for a non-operator (http/config.go).
    return ErrorResponse(401, kCodeUnauthorized,
                         "access to /api/v2/config requires operator permissions");
  }
  if (!s.ok()) return CallError(s);
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(resp, &text, options).ok()) {
    return ErrorResponse(grpc::Status(grpc::StatusCode::INTERNAL, "config"));
  }
  Json config = Json::parse(text, nullptr, false);
  return JsonReply(200, Json{{"config", config}});
}

}  // namespace authd::http
