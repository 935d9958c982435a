#include "cli/backup_commands.h"

#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "storage/backup_files.h"

namespace authd::cli {
namespace {
namespace fs = std::filesystem;

constexpr char kManifest[] = "manifest.json";

// A plain file name (the server's rule, storage::ValidBackupFileName): no path can escape DIR,
// and no file can overwrite the manifest.
bool SafeName(const std::string& name) {
  return storage::ValidBackupFileName(name) && name != kManifest;
}

absl::Status RunBackup(CommandContext& ctx, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("backup directory ", dir, " is not empty"));
  }
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  chmod(dir.c_str(), 0700);
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();

  v1::BackupManifest manifest;
  bool have_manifest = false;
  std::unique_ptr<std::ofstream> file;
  std::string file_name;
  uint64_t bytes = 0;
  absl::Status streamed = (*client)->Backup([&](const v1::BackupChunk& chunk) -> absl::Status {
    if (chunk.has_manifest()) {
      if (have_manifest) return absl::DataLossError("the server sent two manifests");
      manifest = chunk.manifest();
      have_manifest = true;
      for (const auto& f : manifest.files()) {
        if (!SafeName(f.name())) return absl::DataLossError("the server sent an unsafe file name");
      }
      return absl::OkStatus();
    }
    if (!have_manifest) return absl::DataLossError("the server sent data before the manifest");
    const v1::FileChunk& fc = chunk.file();
    if (fc.name() != file_name) {
      if (!SafeName(fc.name())) return absl::DataLossError("the server sent an unsafe file name");
      file_name = fc.name();
      file = std::make_unique<std::ofstream>(dir + "/" + file_name, std::ios::binary | std::ios::trunc);
      if (!*file) return absl::UnavailableError(absl::StrCat("cannot write ", dir, "/", file_name));
    }
    file->write(fc.data().data(), static_cast<std::streamsize>(fc.data().size()));
    if (!*file) return absl::UnavailableError(absl::StrCat("cannot write ", dir, "/", file_name));
    bytes += fc.data().size();
    return absl::OkStatus();
  });
  if (file) file->close();
  if (!streamed.ok()) return streamed;
  if (!have_manifest) return absl::DataLossError("the server sent no manifest");

  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(manifest, &json, options).ok()) {
    return absl::InternalError("cannot encode the manifest");
  }
  std::ofstream(dir + "/" + kManifest) << json;
  std::string hint = manifest.has_raw_operator_token()
                         ? "it holds a raw operator token, which restore will return"
                         : "it holds only hashed tokens: keep an operator token of it, "
                           "restore needs --operator-token";
  std::fprintf(stdout, "Backed up %d files (%llu bytes, last sequence %llu) to %s; %s.\n",
               manifest.files_size(), static_cast<unsigned long long>(bytes),
               static_cast<unsigned long long>(manifest.last_sequence()), dir.c_str(), hint.c_str());
  return absl::OkStatus();
}

absl::StatusOr<v1::BackupManifest> ReadManifest(const std::string& dir) {
  std::ifstream in(dir + "/" + kManifest, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(dir, " is not a backup (no ", kManifest, ")"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  v1::BackupManifest manifest;
  if (!google::protobuf::util::JsonStringToMessage(ss.str(), &manifest).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/", kManifest, " is malformed"));
  }
  for (const auto& f : manifest.files()) {
    if (!SafeName(f.name())) {
      return absl::InvalidArgumentError(absl::StrCat(dir, "/", kManifest, " names an unsafe file"));
    }
  }
  return manifest;
}

absl::Status RunRestore(CommandContext& ctx, const std::string& dir, bool full,
                        const std::string& operator_token) {
  if (!full) {
    return absl::InvalidArgumentError("only full restores are supported: pass --full");
  }
  absl::StatusOr<v1::BackupManifest> manifest = ReadManifest(dir);
  if (!manifest.ok()) return manifest.status();
  if (!manifest->has_raw_operator_token() && operator_token.empty()) {
    return absl::FailedPreconditionError(
        "the backup holds only hashed tokens, so the restore cannot return its operator token: "
        "pass --operator-token with an operator token of the backed-up store");
  }
  for (const auto& f : manifest->files()) {
    std::error_code ec;
    if (!fs::is_regular_file(dir + "/" + f.name(), ec)) {
      return absl::NotFoundError(absl::StrCat("backup file ", f.name(), " is missing from ", dir));
    }
  }
  absl::StatusOr<ApiClient*> client = ctx.client();
  if (!client.ok()) return client.status();

  // The manifest first, then every file in order, in chunks.
  bool manifest_sent = false;
  int index = 0;
  std::unique_ptr<storage::BackupFileReader> reader;
  absl::StatusOr<v1::RestoreResponse> restored =
      (*client)->Restore([&](v1::BackupChunk* chunk) -> absl::StatusOr<bool> {
        chunk->Clear();
        if (!manifest_sent) {
          *chunk->mutable_manifest() = *manifest;
          manifest_sent = true;
          return true;
        }
        for (; index < manifest->files_size(); ++index, reader.reset()) {
          const auto& f = manifest->files(index);
          if (!reader) {
            auto opened = storage::BackupFileReader::Open(dir + "/" + f.name());
            if (!opened.ok()) return opened.status();
            reader = std::move(*opened);
          }
          auto next = reader->Next();
          if (!next.ok()) return next.status();
          if (!next->has_value()) continue;
          chunk->mutable_file()->set_name(f.name());
          chunk->mutable_file()->set_offset((*next)->offset);
          chunk->mutable_file()->set_data((*next)->data.data(), (*next)->data.size());
          return true;
        }
        return false;
      });
  if (!restored.ok()) return restored.status();

  std::string token = restored->operator_token();
  std::string source = "the backup's own (stored raw)";
  if (token.empty()) {
    token = operator_token;
    source = "given with --operator-token";
  } else {
    ctx.AddSecret(token);
    if (!operator_token.empty() && operator_token != token) {
      ctx.Warn("the backup's raw operator token differs from --operator-token; using the backup's");
    }
  }
  // Prove the token is an operator token of the restored store.
  absl::StatusOr<ClientOptions> verify = ctx.client_options();
  if (!verify.ok()) return verify.status();
  verify->token = token;
  ApiClient check(*verify);
  if (absl::StatusOr<v1::GetServerConfigResponse> config = check.GetServerConfig(); !config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat("the store was restored, but the operator token (", source,
                                     ") does not work against it: ", config.status().message()));
  }
  ctx.Warn("Restoring the store replaced every token: use the restored store's operator token "
           "from now on (update your profile with `authctl config set`)");
  if (!restored->operator_token().empty()) {
    std::fprintf(stdout, "Operator token of the restored store (stored raw in the backup, now "
                         "hashed if hashing is on; shown only now):\n%s\n",
                 restored->operator_token().c_str());
  }
  std::fprintf(stdout,
               "Restored %llu tokens (last sequence %llu) from %s; the operator token (%s) works.\n",
               static_cast<unsigned long long>(restored->authorizations()),
               static_cast<unsigned long long>(restored->last_sequence()), dir.c_str(),
               source.c_str());
  return absl::OkStatus();
}

struct RestoreParams {
  std::string dir;
  bool full = false;
  std::string operator_token;
};

}  // namespace

void AddBackupCommands(CLI::App* root, CommandContext* ctx) {
  auto backup_dir = std::make_shared<std::string>();
  CLI::App* backup = root->add_subcommand("backup", "Back up the whole store (operator token)");
  backup->add_option("dir", *backup_dir, "Directory to write the backup to (new or empty)")
      ->required();
  ctx->SetAction(backup, [ctx, backup_dir] { return RunBackup(*ctx, *backup_dir); });

  auto params = std::make_shared<RestoreParams>();
  CLI::App* restore = root->add_subcommand("restore", "Restore the whole store from a backup");
  restore->add_option("dir", params->dir, "Directory holding the backup")->required();
  restore->add_flag("--full", params->full, "Replace the whole store, tokens included");
  restore->add_option("--operator-token", params->operator_token,
                      "Operator token of the backed-up store (needed when it holds only hashes)");
  ctx->SetAction(restore, [ctx, params] {
    if (!params->operator_token.empty()) ctx->AddSecret(params->operator_token);
    return RunRestore(*ctx, params->dir, params->full, params->operator_token);
  });
}

}  // namespace authd::cli
