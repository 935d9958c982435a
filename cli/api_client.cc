#include "cli/api_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace authd::cli {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // grpc::StatusCode and absl::StatusCode share their numbering.
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string message = status.error_message();
  if (message.empty()) message = absl::StatusCodeToString(code);
  return absl::Status(code, message);
}

namespace {

std::shared_ptr<grpc::ChannelCredentials> Credentials(const ClientOptions& o) {
  if (o.tls_ca_pem.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = o.tls_ca_pem;
  ssl.pem_cert_chain = o.tls_cert_pem;
  ssl.pem_private_key = o.tls_key_pem;
  return grpc::SslCredentials(ssl);
}

}  // namespace

ApiClient::ApiClient(ClientOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.host, Credentials(options_))),
      setup_(v1::SetupService::NewStub(channel_)),
      session_(v1::SessionService::NewStub(channel_)),
      tenant_(v1::TenantService::NewStub(channel_)),
      auths_(v1::AuthorizationService::NewStub(channel_)),
      admin_(v1::AdminService::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> ApiClient::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  if (!options_.token.empty()) ctx->AddMetadata("authorization", "Token " + options_.token);
  return ctx;
}

absl::StatusOr<v1::GetSetupStatusResponse> ApiClient::GetSetupStatus() {
  return Call<v1::GetSetupStatusResponse>([&](auto* ctx, auto* out) {
    return setup_->GetSetupStatus(ctx, v1::GetSetupStatusRequest(), out);
  });
}

absl::StatusOr<v1::SetupResponse> ApiClient::Setup(const v1::SetupRequest& req) {
  return Call<v1::SetupResponse>(
      [&](auto* ctx, auto* out) { return setup_->Setup(ctx, req, out); });
}

absl::StatusOr<v1::SignInResponse> ApiClient::SignIn(const v1::SignInRequest& req) {
  return Call<v1::SignInResponse>(
      [&](auto* ctx, auto* out) { return session_->SignIn(ctx, req, out); });
}

absl::StatusOr<v1::Org> ApiClient::CreateOrg(const v1::CreateOrgRequest& req) {
  return Call<v1::Org>([&](auto* ctx, auto* out) { return tenant_->CreateOrg(ctx, req, out); });
}

absl::StatusOr<v1::Org> ApiClient::GetOrg(const std::string& id) {
  v1::GetOrgRequest req;
  req.set_id(id);
  return Call<v1::Org>([&](auto* ctx, auto* out) { return tenant_->GetOrg(ctx, req, out); });
}

absl::StatusOr<v1::ListOrgsResponse> ApiClient::ListOrgs(const v1::ListOrgsRequest& req) {
  return AllPages<v1::ListOrgsRequest, v1::ListOrgsResponse>(
      req, [&](auto* ctx, const auto& page, auto* out) { return tenant_->ListOrgs(ctx, page, out); },
      [](v1::ListOrgsResponse* all, v1::ListOrgsResponse* page) {
        for (auto& item : *page->mutable_orgs()) *all->add_orgs() = std::move(item);
      });
}

absl::Status ApiClient::DeleteOrg(const std::string& id) {
  v1::DeleteOrgRequest req;
  req.set_id(id);
  return Call<v1::DeleteOrgResponse>(
             [&](auto* ctx, auto* out) { return tenant_->DeleteOrg(ctx, req, out); })
      .status();
}

absl::StatusOr<v1::Org> ApiClient::UpdateOrg(const v1::UpdateOrgRequest& req) {
  return Call<v1::Org>([&](auto* ctx, auto* out) { return tenant_->UpdateOrg(ctx, req, out); });
}

absl::StatusOr<v1::User> ApiClient::CreateUser(const v1::CreateUserRequest& req) {
  return Call<v1::User>([&](auto* ctx, auto* out) { return tenant_->CreateUser(ctx, req, out); });
}

absl::StatusOr<v1::User> ApiClient::GetUser(const std::string& id) {
  v1::GetUserRequest req;
  req.set_id(id);
  return Call<v1::User>([&](auto* ctx, auto* out) { return tenant_->GetUser(ctx, req, out); });
}

absl::StatusOr<v1::ListUsersResponse> ApiClient::ListUsers(const v1::ListUsersRequest& req) {
  return AllPages<v1::ListUsersRequest, v1::ListUsersResponse>(
      req, [&](auto* ctx, const auto& page, auto* out) { return tenant_->ListUsers(ctx, page, out); },
      [](v1::ListUsersResponse* all, v1::ListUsersResponse* page) {
        for (auto& item : *page->mutable_users()) *all->add_users() = std::move(item);
      });
}

absl::Status ApiClient::DeleteUser(const std::string& id) {
  v1::DeleteUserRequest req;
  req.set_id(id);
  return Call<v1::DeleteUserResponse>(
             [&](auto* ctx, auto* out) { return tenant_->DeleteUser(ctx, req, out); })
      .status();
}

absl::Status ApiClient::SetPassword(const v1::SetPasswordRequest& req) {
  return Call<v1::SetPasswordResponse>(
             [&](auto* ctx, auto* out) { return tenant_->SetPassword(ctx, req, out); })
      .status();
}

absl::StatusOr<v1::Bucket> ApiClient::CreateBucket(const v1::CreateBucketRequest& req) {
  return Call<v1::Bucket>(
      [&](auto* ctx, auto* out) { return tenant_->CreateBucket(ctx, req, out); });
}

absl::StatusOr<v1::Bucket> ApiClient::GetBucket(const std::string& id) {
  v1::GetBucketRequest req;
  req.set_id(id);
  return Call<v1::Bucket>([&](auto* ctx, auto* out) { return tenant_->GetBucket(ctx, req, out); });
}

absl::StatusOr<v1::ListBucketsResponse> ApiClient::ListBuckets(const v1::ListBucketsRequest& req) {
  return AllPages<v1::ListBucketsRequest, v1::ListBucketsResponse>(
      req, [&](auto* ctx, const auto& page, auto* out) { return tenant_->ListBuckets(ctx, page, out); },
      [](v1::ListBucketsResponse* all, v1::ListBucketsResponse* page) {
        for (auto& item : *page->mutable_buckets()) *all->add_buckets() = std::move(item);
      });
}

absl::Status ApiClient::DeleteBucket(const std::string& id) {
  v1::DeleteBucketRequest req;
  req.set_id(id);
  return Call<v1::DeleteBucketResponse>(
             [&](auto* ctx, auto* out) { return tenant_->DeleteBucket(ctx, req, out); })
      .status();
}

absl::StatusOr<v1::Authorization> ApiClient::CreateAuthorization(
    const v1::CreateAuthorizationRequest& req) {
  return Call<v1::Authorization>(
      [&](auto* ctx, auto* out) { return auths_->CreateAuthorization(ctx, req, out); });
}

absl::StatusOr<v1::Authorization> ApiClient::GetAuthorization(const std::string& id) {
  v1::GetAuthorizationRequest req;
  req.set_id(id);
  return Call<v1::Authorization>(
      [&](auto* ctx, auto* out) { return auths_->GetAuthorization(ctx, req, out); });
}

absl::StatusOr<v1::ListAuthorizationsResponse> ApiClient::ListAuthorizations(const v1::ListAuthorizationsRequest& req) {
  return AllPages<v1::ListAuthorizationsRequest, v1::ListAuthorizationsResponse>(
      req, [&](auto* ctx, const auto& page, auto* out) { return auths_->ListAuthorizations(ctx, page, out); },
      [](v1::ListAuthorizationsResponse* all, v1::ListAuthorizationsResponse* page) {
        for (auto& item : *page->mutable_authorizations()) *all->add_authorizations() = std::move(item);
      });
}

absl::StatusOr<v1::Authorization> ApiClient::UpdateAuthorization(
    const v1::UpdateAuthorizationRequest& req) {
  return Call<v1::Authorization>(
      [&](auto* ctx, auto* out) { return auths_->UpdateAuthorization(ctx, req, out); });
}

absl::Status ApiClient::DeleteAuthorization(const std::string& id) {
  v1::DeleteAuthorizationRequest req;
  req.set_id(id);
  return Call<v1::DeleteAuthorizationResponse>(
             [&](auto* ctx, auto* out) { return auths_->DeleteAuthorization(ctx, req, out); })
      .status();
}

absl::StatusOr<v1::Authorization> ApiClient::RotateAuthorization(
    const v1::RotateAuthorizationRequest& req) {
  return Call<v1::Authorization>(
      [&](auto* ctx, auto* out) { return auths_->RotateAuthorization(ctx, req, out); });
}

absl::StatusOr<v1::GetServerConfigResponse> ApiClient::GetServerConfig() {
  return Call<v1::GetServerConfigResponse>([&](auto* ctx, auto* out) {
    return admin_->GetServerConfig(ctx, v1::GetServerConfigRequest(), out);
  });
}

absl::Status ApiClient::Backup(const std::function<absl::Status(const v1::BackupChunk&)>& sink) {
  std::unique_ptr<grpc::ClientContext> ctx = Context();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.stream_timeout));
  std::unique_ptr<grpc::ClientReader<v1::BackupChunk>> reader =
      admin_->Backup(ctx.get(), v1::BackupRequest());
  v1::BackupChunk chunk;
  while (reader->Read(&chunk)) {
    if (absl::Status s = sink(chunk); !s.ok()) {
      ctx->TryCancel();
      reader->Finish().ok();
      return s;
    }
  }
  return FromGrpcStatus(reader->Finish());
}

absl::StatusOr<v1::RestoreResponse> ApiClient::Restore(
    const std::function<absl::StatusOr<bool>(v1::BackupChunk*)>& next) {
  std::unique_ptr<grpc::ClientContext> ctx = Context();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.stream_timeout));
  v1::RestoreResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::BackupChunk>> writer =
      admin_->Restore(ctx.get(), &response);
  v1::BackupChunk chunk;
  for (;;) {
    absl::StatusOr<bool> more = next(&chunk);
    if (!more.ok()) {
      ctx->TryCancel();
      writer->Finish().ok();
      return more.status();
    }
    if (!*more) break;
    // A failed write means the server ended the call; Finish() says why.
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace authd::cli
