#include "services/admin_service.h"

#include <google/protobuf/util/time_util.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authz/resource_type.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "services/call_budget.h"
#include "services/grpc_status.h"
#include "services/with_caller.h"
#include "storage/backup_files.h"
#include "storage/incoming_restore.h"

namespace authd::services {

namespace {

absl::Status RequireOperator(const CallerAuthenticator& auth, const grpc::ServerContext& context,
                             absl::string_view what, authz::Principal* out) {
  AUTHD_RETURN_IF_ERROR(CallBudget::Of(context).Check());
  AUTHD_ASSIGN_OR_RETURN(*out, auth.Authenticate(context));
  if (!authz::IsOperator(*out)) {
    return absl::PermissionDeniedError(absl::StrCat(what, " requires operator permissions"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status AdminServiceImpl::GetServerConfig(grpc::ServerContext* context,
                                               const authd::v1::GetServerConfigRequest*,
                                               authd::v1::GetServerConfigResponse* response) {
  return WithCaller(deps_, *context, [&](const authz::Principal& caller) -> absl::Status {
    if (!authz::IsOperator(caller)) {
      return absl::PermissionDeniedError(
          "access to the server config requires operator permissions");
    }
    const ServerInfo& info = *deps_.info;
    response->set_version(info.version);
    response->set_listen(info.listen);
    response->set_data_dir(info.data_dir);
    response->set_use_hashed_tokens(info.use_hashed_tokens);
    response->set_schema_version(deps_.store->schema_version());
    response->set_last_sequence(deps_.store->LastSequence());
    response->set_session_ttl_seconds(absl::ToInt64Seconds(info.session_ttl));
    response->set_max_token_lifetime_seconds(absl::ToInt64Seconds(info.max_token_lifetime));
    response->set_last_used_interval_seconds(absl::ToInt64Seconds(info.last_used_interval));
    response->set_expired_token_retention_seconds(
        absl::ToInt64Seconds(info.expired_token_retention));
    response->set_log_level(info.log_level);
    *response->mutable_limits() = info.limits;
    response->set_event_log(info.event_log);
    for (const std::string& e : info.etcd_endpoints) response->add_etcd_endpoints(e);
    response->set_etcd_prefix(info.etcd_prefix);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListResourceTypes(grpc::ServerContext* context,
                                                 const authd::v1::ListResourceTypesRequest*,
                                                 authd::v1::ListResourceTypesResponse* response) {
  return WithCaller(deps_, *context, [&](const authz::Principal&) -> absl::Status {
    for (authz::ResourceType type : authz::AllResourceTypes()) {
      response->add_types(std::string(authz::ResourceTypeName(type)));
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::Backup(grpc::ServerContext* context,
                                      const authd::v1::BackupRequest*,
                                      grpc::ServerWriter<authd::v1::BackupChunk>* writer) {
  authz::Principal caller;
  absl::Status s = RequireOperator(*deps_.auth, *context, "backup", &caller);
  if (!s.ok()) return ToGrpcStatus(s);
  auto snapshot = deps_.store->CreateSnapshot();
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  absl::Cleanup release = [&] { deps_.store->ReleaseSnapshot(*snapshot); };
  auto files = storage::DescribeBackupDir(snapshot->store_dir);
  if (!files.ok()) return ToGrpcStatus(files.status());

  authd::v1::BackupChunk head;
  authd::v1::BackupManifest* manifest = head.mutable_manifest();
  manifest->set_format_version(1);
  manifest->set_schema_version(snapshot->schema_version);
  manifest->set_last_sequence(snapshot->last_sequence);
  *manifest->mutable_created_at() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(deps_.clock->Now()));
  manifest->set_authd_version(deps_.info->version);
  manifest->set_has_raw_operator_token(snapshot->has_raw_operator_token);
  for (const storage::BackupFile& f : *files) {
    authd::v1::BackupFileInfo* info = manifest->add_files();
    info->set_name(f.name);
    info->set_size(f.size);
    info->set_sha256(f.sha256);
  }
  if (!writer->Write(head)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");

  for (const storage::BackupFile& f : *files) {
    auto reader = storage::BackupFileReader::Open(snapshot->store_dir + "/" + f.name);
    if (!reader.ok()) return ToGrpcStatus(reader.status());
    for (;;) {
      auto next = (*reader)->Next();
      if (!next.ok()) return ToGrpcStatus(next.status());
      if (!next->has_value()) break;
      authd::v1::BackupChunk chunk;
      chunk.mutable_file()->set_name(f.name);
      chunk.mutable_file()->set_offset((*next)->offset);
      chunk.mutable_file()->set_data((*next)->data.data(), (*next)->data.size());
      if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
    if ((*reader)->bytes_read() != f.size) {
      return ToGrpcStatus(absl::InternalError(absl::StrCat("snapshot file ", f.name, " changed")));
    }
  }
  LogInfo(absl::StrCat("backup streamed: last_sequence=", snapshot->last_sequence,
                       " files=", files->size(), " by=", authz::FormatId(caller.authorization_id)));
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::Restore(grpc::ServerContext* context,
                                       grpc::ServerReader<authd::v1::BackupChunk>* reader,
                                       authd::v1::RestoreResponse* response) {
  authz::Principal caller;
  absl::Status s = RequireOperator(*deps_.auth, *context, "restore", &caller);
  if (!s.ok()) return ToGrpcStatus(s);

  authd::v1::BackupChunk chunk;
  if (!reader->Read(&chunk) || !chunk.has_manifest()) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "restore: the first message must be the backup manifest"));
  }
  const authd::v1::BackupManifest manifest = chunk.manifest();
  if (manifest.format_version() != 1) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "restore: backup format version ", manifest.format_version(), " is not supported (want 1)")));
  }
  if (manifest.schema_version() > deps_.store->schema_version()) {
    return ToGrpcStatus(absl::FailedPreconditionError(
        absl::StrCat("restore: the backup has schema ", manifest.schema_version(),
                     ", newer than this authd's ", deps_.store->schema_version())));
  }
  std::vector<storage::BackupFile> expected;
  for (const auto& f : manifest.files()) expected.push_back({f.name(), f.size(), f.sha256()});

  // Returning early anywhere below drops `incoming`, which removes what was received.
  auto incoming = storage::IncomingRestore::Begin(deps_.store, std::move(expected));
  if (!incoming.ok()) return ToGrpcStatus(incoming.status());
  while (reader->Read(&chunk)) {
    if (!chunk.has_file()) {
      return ToGrpcStatus(absl::InvalidArgumentError("restore: a second manifest in the stream"));
    }
    s = (*incoming)->Append(chunk.file().name(), chunk.file().offset(), chunk.file().data());
    if (!s.ok()) return ToGrpcStatus(s);
  }
  if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "restore cancelled");
  auto result = (*incoming)->Commit();
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_operator_token(result->operator_token);
  response->set_last_sequence(result->last_sequence);
  response->set_schema_version(deps_.store->schema_version());
  response->set_authorizations(result->authorizations);
  LogInfo(absl::StrCat("restore completed: last_sequence=", result->last_sequence,
                       " authorizations=", result->authorizations,
                       " by=", authz::FormatId(caller.authorization_id)));
  return grpc::Status::OK;
}

}  // namespace authd::services
