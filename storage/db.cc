#include "storage/db.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/checkpoint.h"
#include "storage/data_dir.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace authd::storage {
namespace {

const std::vector<absl::string_view>& AllCfs() {
  static const auto* const kAll = new std::vector<absl::string_view>{
      rocksdb::kDefaultColumnFamilyName, kEventsCf,     kMetaCf,     kAuthorizationsCf,
      kTokenIndexCf,                     kAuthByUserCf, kAuthByOrgCf, kTenantsCf,
      kRawTokensCf};
  return *kAll;
}

rocksdb::ColumnFamilyOptions CfOptions() {
  rocksdb::ColumnFamilyOptions options;
  return options;
}


}  // namespace

const std::vector<absl::string_view>& Db::ProjectionCfs() {
  static const auto* const kProjections = new std::vector<absl::string_view>{
      kAuthorizationsCf, kTokenIndexCf, kAuthByUserCf, kAuthByOrgCf, kTenantsCf};
  return *kProjections;
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("data dir must not be empty");
  absl::Status made = MakePrivateDirs(dir);
  if (!made.ok()) return made;

  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.keep_log_file_num = 5;
  options.max_open_files = 256;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (absl::string_view name : AllCfs()) {
    descriptors.emplace_back(std::string(name), CfOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> raw_handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, descriptors, &raw_handles, &raw);
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("opening data dir ", dir));
  std::unique_ptr<rocksdb::DB> db(raw);
  absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> handles;
  for (size_t i = 0; i < raw_handles.size(); ++i) {
    handles[std::string(AllCfs()[i])] = raw_handles[i];
  }
  return std::unique_ptr<Db>(new Db(dir, std::move(db), std::move(handles)));
}

Db::Db(std::string dir, std::unique_ptr<rocksdb::DB> db,
       absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> handles)
    : dir_(std::move(dir)), db_(std::move(db)), handles_(std::move(handles)) {}

Db::~Db() {
  for (auto& [name, handle] : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  handles_.clear();
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* Db::cf(absl::string_view name) const {
  auto it = handles_.find(name);
  return it == handles_.end() ? nullptr : it->second;
}

absl::StatusOr<std::optional<std::string>> Db::Get(absl::string_view cf_name,
                                                   absl::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(cf_name),
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("reading ", cf_name));
  return std::optional<std::string>(std::move(value));
}

absl::Status Db::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return FromRocksDb(db_->Write(options, batch), "writing");
}

absl::Status Db::WriteWithoutWal(rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return FromRocksDb(db_->Write(options, batch), "writing");
}

absl::Status Db::SyncWal() { return FromRocksDb(db_->SyncWAL(), "syncing WAL"); }

std::unique_ptr<rocksdb::Iterator> Db::NewIterator(absl::string_view cf_name) {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(rocksdb::ReadOptions(), cf(cf_name)));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Db::Scan(absl::string_view cf_name) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = NewIterator(cf_name);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), absl::StrCat("scanning ", cf_name));
  return out;
}

absl::Status Db::RecreateProjectionCfs() {
  for (absl::string_view name : ProjectionCfs()) {
    auto it = handles_.find(name);
    rocksdb::Status s = db_->DropColumnFamily(it->second);
    if (!s.ok()) return FromRocksDb(s, absl::StrCat("dropping ", name));
    db_->DestroyColumnFamilyHandle(it->second);
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    s = db_->CreateColumnFamily(CfOptions(), std::string(name), &handle);
    if (!s.ok()) return FromRocksDb(s, absl::StrCat("creating ", name));
    it->second = handle;
  }
  return absl::OkStatus();
}

absl::Status Db::PurgeDeleted(absl::string_view cf_name) {
  absl::Status flushed = Flush();
  if (!flushed.ok()) return flushed;
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  options.exclusive_manual_compaction = true;
  rocksdb::Status s = db_->CompactRange(options, cf(cf_name), nullptr, nullptr);
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("compacting ", cf_name));
  // A second flush rolls the WAL past the compaction's own records.
  return Flush();
}

absl::Status Db::VerifyChecksums() {
  return FromRocksDb(db_->VerifyChecksum(), "verifying checksums");
}

absl::Status Db::CreateCheckpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return FromRocksDb(s, "creating a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocksDb(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                     "creating a checkpoint");
}

absl::Status Db::Flush() {
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (auto& [name, handle] : handles_) all.push_back(handle);
  rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), all);
  if (!s.ok()) return FromRocksDb(s, "flushing");
  return FromRocksDb(db_->SyncWAL(), "syncing WAL");
}

}  // namespace authd::storage
