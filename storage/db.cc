#include "storage/db.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "rocksdb/env.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/checkpoint.h"
#include "storage/data_dir.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"

namespace authd::storage {

struct Db::WriteHealth {
  // RocksDB holds a background error of hard (or worse) severity: it refuses every write.
  std::atomic<bool> writes_stopped{false};
  authd::Mutex mu;
  // The current error episode has been logged (one line when it starts, one when it ends).
  bool reported ABSL_GUARDED_BY(mu) = false;
};

namespace {

// The first key after every key that starts with `prefix` (empty when there is none: all 0xff).
std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

// How often a Write may call DB::Resume() while writes are stopped: each failing attempt is a
// memtable flush that runs into the full disk again.
constexpr absl::Duration kResumeInterval = absl::Seconds(1);

// The key Db keeps in the default column family's memtable, written without the log.
constexpr char kMemtableGuardKey[] = "memtable-guard";

// Info-log files kept: LOG and the newest LOG.old.* (RocksDB's keep_log_file_num, which authd set
// to 5 while RocksDB wrote them).
constexpr int kInfoLogFilesKept = 5;

// RocksDB's info log in `<dir>/LOG`, one write(2) per line on an O_APPEND descriptor, errors
// ignored (a line that meets a full disk is lost). RocksDB's own file logger asserts on the line
// after a failed write, which aborts the process in Debian's assert-enabled build.
class InfoLogFile final : public rocksdb::Logger {
 public:
  // Moves an existing LOG to LOG.old.<micros> (as RocksDB does), trims old ones, opens a new LOG.
  // Never fails: without a file, lines are dropped.
  static std::shared_ptr<rocksdb::Logger> Open(const std::string& dir);

  explicit InfoLogFile(int fd) : fd_(fd) {}
  ~InfoLogFile() override {
    if (fd_ >= 0) close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    struct timeval now;
    gettimeofday(&now, nullptr);
    struct tm t;
    localtime_r(&now.tv_sec, &t);
    char prefix[64];
    int n = snprintf(prefix, sizeof(prefix), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %ld ",
                     t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                     static_cast<long>(now.tv_usec), static_cast<long>(syscall(SYS_gettid)));
    std::string line(prefix, n > 0 ? static_cast<size_t>(n) : 0);
    va_list copy;
    va_copy(copy, ap);
    int body = vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (body > 0) {
      size_t start = line.size();
      line.resize(start + static_cast<size_t>(body) + 1);
      va_copy(copy, ap);
      vsnprintf(line.data() + start, static_cast<size_t>(body) + 1, format, copy);
      va_end(copy);
      line.resize(start + static_cast<size_t>(body));
    }
    if (line.empty() || line.back() != '\n') line.push_back('\n');
    ssize_t ignored = write(fd_, line.data(), line.size());
    (void)ignored;
  }

 private:
  const int fd_;
};

std::shared_ptr<rocksdb::Logger> InfoLogFile::Open(const std::string& dir) {
  const std::string log = dir + "/LOG";
  struct stat st;
  if (stat(log.c_str(), &st) == 0) {
    rename(log.c_str(), absl::StrCat(log, ".old.", absl::ToUnixMicros(absl::Now())).c_str());
  }
  std::vector<std::pair<uint64_t, std::string>> old;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      absl::string_view name = e->d_name;
      uint64_t micros = 0;
      if (absl::ConsumePrefix(&name, "LOG.old.") && absl::SimpleAtoi(name, &micros)) {
        old.emplace_back(micros, e->d_name);
      }
    }
    closedir(d);
  }
  std::sort(old.rbegin(), old.rend());
  for (size_t i = kInfoLogFilesKept - 1; i < old.size(); ++i) {
    unlink((dir + "/" + old[i].second).c_str());
  }
  return std::make_shared<InfoLogFile>(
      open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
}

absl::string_view WhatFailed(rocksdb::BackgroundErrorReason reason) {
  switch (reason) {
    case rocksdb::BackgroundErrorReason::kFlush:
    case rocksdb::BackgroundErrorReason::kFlushNoWAL:
      return "flush a memtable to disk";
    case rocksdb::BackgroundErrorReason::kCompaction:
      return "compact files";
    case rocksdb::BackgroundErrorReason::kWriteCallback:
      return "append to or sync the write-ahead log";
    case rocksdb::BackgroundErrorReason::kMemTable:
      return "update a memtable";
    case rocksdb::BackgroundErrorReason::kManifestWrite:
    case rocksdb::BackgroundErrorReason::kManifestWriteNoWAL:
      return "write the MANIFEST";
  }
  return "write";
}

bool IsNoSpace(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.subcode() == rocksdb::Status::kSpaceLimit;
}

// Tells Db when RocksDB stops and resumes writes, logs each episode once (RocksDB's messages name
// files and system errors, never keys or values), and keeps RocksDB's own full-disk recovery off.
// Called by RocksDB threads, sometimes under its DB mutex: it must not call into the DB.
class WriteHealthListener final : public rocksdb::EventListener {
 public:
  explicit WriteHealthListener(std::shared_ptr<Db::WriteHealth> health)
      : health_(std::move(health)) {}

  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || error->ok()) return;
    const bool stops_writes = error->severity() >= rocksdb::Status::Severity::kHardError;
    if (stops_writes) health_->writes_stopped.store(true);
    authd::MutexLock lock(&health_->mu);
    if (health_->reported) return;
    health_->reported = true;
    if (IsNoSpace(*error)) {
      const std::string line = absl::StrCat(
          "storage is full: RocksDB could not ", WhatFailed(reason), " (", error->ToString(), ")");
      if (stops_writes) {
        LogError(absl::StrCat(line, "; writes fail with RESOURCE_EXHAUSTED until space is freed, "
                                    "then resume without a restart; Authorize and reads keep "
                                    "working"));
      } else {
        LogWarning(absl::StrCat(line, "; writes continue, compaction is retried"));
      }
    } else {
      LogError(absl::StrCat("storage error: RocksDB could not ", WhatFailed(reason), " (",
                            error->ToString(), ")",
                            stops_writes ? "; writes fail with UNAVAILABLE until RocksDB resumes"
                                         : "; writes continue"));
    }
  }

  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                            bool* auto_recovery) override {
    // RocksDB's SstFileManager would poll every 5 s for one write buffer (64 MiB) of free space
    // and, meanwhile, make DB::Resume() answer Busy: Db resumes by itself instead.
    if (auto_recovery != nullptr && IsNoSpace(error)) *auto_recovery = false;
    error.PermitUncheckedError();
  }

  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (!info.new_bg_error.ok()) return;
    health_->writes_stopped.store(false);
    authd::MutexLock lock(&health_->mu);
    if (!health_->reported) return;
    health_->reported = false;
    LogInfo("storage: RocksDB resumed, writes are accepted again");
  }

 private:
  const std::shared_ptr<Db::WriteHealth> health_;
};

// "<n>.log" -> n.
bool ParseWalName(absl::string_view name, uint64_t* number) {
  return absl::ConsumeSuffix(&name, ".log") && !name.empty() &&
         std::all_of(name.begin(), name.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(name, number);
}

absl::Status SyncError(int err, const std::string& path) {
  std::string message = absl::StrCat("syncing the log: ", path, ": ", std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "syncing the log: storage is full (no space left for the data dir); writes resume once "
        "space is freed: ",
        path, ": ", std::strerror(err)));
  }
  return absl::UnavailableError(message);
}

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

  auto health = std::make_shared<WriteHealth>();
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_open_files = 256;
  options.info_log = InfoLogFile::Open(dir);
  options.listeners.push_back(std::make_shared<WriteHealthListener>(health));
  // Close() would otherwise flush the memtables because of the never-logged guard key; the
  // server flushes at shutdown itself (Flush), and offline tools close as they did before.
  options.avoid_flush_during_shutdown = true;

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
  auto opened =
      std::unique_ptr<Db>(new Db(dir, std::move(db), std::move(handles), std::move(health)));
  opened->KeepMemtableNonEmpty();
  return opened;
}

Db::Db(std::string dir, std::unique_ptr<rocksdb::DB> db,
       absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> handles,
       std::shared_ptr<WriteHealth> health)
    : dir_(std::move(dir)),
      db_(std::move(db)),
      handles_(std::move(handles)),
      health_(std::move(health)) {}

Db::~Db() {
  for (const auto& [name, handle] : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* Db::cf(absl::string_view name) const {
  auto it = handles_.find(name);
  return it == handles_.end() ? nullptr : it->second;
}

absl::StatusOr<std::optional<std::string>> Db::GetWith(const rocksdb::ReadOptions& options,
                                                       absl::string_view cf_name,
                                                       absl::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(options, cf(cf_name), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("reading ", cf_name));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::vector<Db::Entry>> Db::EntriesWith(rocksdb::ReadOptions options,
                                                       absl::string_view cf_name,
                                                       absl::string_view prefix,
                                                       absl::string_view from, size_t limit) {
  std::vector<Entry> out;
  // The iterator stops at the prefix's end instead of stepping over what follows (deletions of
  // the next org's keys, say) to find the first key that does not match.
  std::string end = PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  if (!end.empty()) options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, cf(cf_name)));
  const rocksdb::Slice want(prefix.data(), prefix.size());
  const absl::string_view start = from > prefix ? from : prefix;
  for (it->Seek(rocksdb::Slice(start.data(), start.size()));
       it->Valid() && it->key().starts_with(want) && out.size() < limit; it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), absl::StrCat("listing ", cf_name));
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Db::ScanWith(
    const rocksdb::ReadOptions& options, absl::string_view cf_name) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, cf(cf_name)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), absl::StrCat("scanning ", cf_name));
  return out;
}

absl::StatusOr<std::optional<std::string>> Db::Get(absl::string_view cf_name,
                                                   absl::string_view key) {
  return GetWith(rocksdb::ReadOptions(), cf_name, key);
}

absl::StatusOr<std::vector<Db::Entry>> Db::EntriesWithPrefix(absl::string_view cf_name,
                                                             absl::string_view prefix,
                                                             absl::string_view from,
                                                             size_t limit) {
  return EntriesWith(rocksdb::ReadOptions(), cf_name, prefix, from, limit);
}

std::unique_ptr<Db::PointInTime> Db::NewPointInTime() {
  return std::unique_ptr<PointInTime>(new PointInTime(this, db_->GetSnapshot()));
}

Db::PointInTime::~PointInTime() { db_->db_->ReleaseSnapshot(snapshot_); }

rocksdb::ReadOptions Db::PointInTime::Options() const {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot_;
  return options;
}

absl::StatusOr<std::optional<std::string>> Db::PointInTime::Get(absl::string_view cf,
                                                                absl::string_view key) {
  return db_->GetWith(Options(), cf, key);
}

absl::StatusOr<std::vector<Db::Entry>> Db::PointInTime::EntriesWithPrefix(absl::string_view cf,
                                                                          absl::string_view prefix,
                                                                          absl::string_view from,
                                                                          size_t limit) {
  return db_->EntriesWith(Options(), cf, prefix, from, limit);
}

std::unique_ptr<rocksdb::Iterator> Db::PointInTime::NewIterator(absl::string_view cf) {
  return std::unique_ptr<rocksdb::Iterator>(db_->db_->NewIterator(Options(), db_->cf(cf)));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Db::PointInTime::Scan(
    absl::string_view cf) {
  return db_->ScanWith(Options(), cf);
}

absl::Status Db::Write(rocksdb::WriteBatch* batch, bool sync) {
  // While writes are stopped RocksDB answers the write below with its background error, without
  // touching the log, so a resume that fails (or is not due yet) needs no special case here.
  MaybeResume(/*force=*/false).IgnoreError();
  rocksdb::WriteOptions options;
  options.sync = sync;
  return FromRocksDb(db_->Write(options, batch), "writing");
}

absl::Status Db::WriteWithoutWal(rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return FromRocksDb(db_->Write(options, batch), "writing");
}

absl::Status Db::MaybeResume(bool force) {
  if (!health_->writes_stopped.load()) return absl::OkStatus();
  if (force) {
    resume_mu_.Lock();
  } else if (!resume_mu_.TryLock()) {
    return absl::OkStatus();  // another thread is resuming
  }
  absl::Status result;
  const absl::Time now = absl::Now();
  if (health_->writes_stopped.load() && (force || now - last_resume_ >= kResumeInterval)) {
    last_resume_ = now;
    // Flushes every memtable to new SST files and switches to a new log, then clears the error.
    rocksdb::Status s = db_->Resume();
    if (s.ok()) {
      health_->writes_stopped.store(false);
      KeepMemtableNonEmpty();
    } else {
      result = FromRocksDb(s, "resuming writes");
    }
  }
  resume_mu_.Unlock();
  return result;
}

void Db::KeepMemtableNonEmpty() {
  // Resume() flushes only non-empty memtables, and only that flush replaces a log writer that saw
  // an error; with every memtable empty (right after a flush, e.g. at start-up or a backup) it
  // would keep the failed writer and the next write would abort the process. The guard key is
  // written without the log, so writing it cannot meet a full disk; nothing reads it.
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  db_->Put(options, cf(rocksdb::kDefaultColumnFamilyName), kMemtableGuardKey, "")
      .PermitUncheckedError();
}

absl::Status Db::SyncWal() {
  // RocksDB's SyncWAL() asserts (aborts) when a log append failed before, which a group commit
  // cannot rule out: a concurrent write may just have met a full disk. Appends reach the OS before
  // Write returns (no manual_wal_flush), so fsyncing the log files here makes them durable. Log
  // files below the floor were closed before the previous sync and synced by it.
  authd::MutexLock lock(&sync_mu_);
  std::vector<uint64_t> logs;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return SyncError(errno, dir_);
  while (dirent* e = readdir(d)) {
    uint64_t number = 0;
    if (ParseWalName(e->d_name, &number) && number >= synced_wal_floor_) logs.push_back(number);
  }
  closedir(d);
  std::sort(logs.begin(), logs.end());
  for (uint64_t number : logs) {
    char name[32];
    snprintf(name, sizeof(name), "/%06llu.log", static_cast<unsigned long long>(number));
    const std::string path = dir_ + name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      // Deleted since the listing: obsolete, its writes are in synced SST files.
      if (errno == ENOENT) continue;
      return SyncError(errno, path);
    }
    int rc = fdatasync(fd);
    int err = errno;
    close(fd);
    if (rc != 0) return SyncError(err, path);
  }
  if (logs.empty()) return absl::OkStatus();
  if (logs.back() > synced_wal_floor_ || synced_wal_floor_ == 0) {
    // A log created since the last sync: make its directory entry durable too.
    int fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return SyncError(errno, dir_);
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0) return SyncError(err, dir_);
  }
  synced_wal_floor_ = logs.back();
  return absl::OkStatus();
}

uint64_t Db::EstimateKeys(absl::string_view cf_name) {
  uint64_t n = 0;
  if (!db_->GetIntProperty(cf(cf_name), "rocksdb.estimate-num-keys", &n)) return 0;
  return n;
}

std::unique_ptr<rocksdb::Iterator> Db::NewIterator(absl::string_view cf_name) {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(rocksdb::ReadOptions(), cf(cf_name)));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Db::Scan(absl::string_view cf_name) {
  return ScanWith(rocksdb::ReadOptions(), cf_name);
}

absl::Status Db::ClearProjectionCfs() { return ClearColumnFamilies(ProjectionCfs()); }

absl::Status Db::ClearColumnFamilies(const std::vector<absl::string_view>& cfs) {
  rocksdb::WriteBatch batch;
  std::vector<rocksdb::ColumnFamilyHandle*> cleared;
  for (absl::string_view name : cfs) {
    rocksdb::ColumnFamilyHandle* handle = cf(name);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle));
    it->SeekToFirst();
    if (!it->status().ok()) return FromRocksDb(it->status(), absl::StrCat("reading ", name));
    if (!it->Valid()) continue;
    const std::string first = it->key().ToString();
    it->SeekToLast();
    if (!it->status().ok()) return FromRocksDb(it->status(), absl::StrCat("reading ", name));
    if (!it->Valid()) return absl::UnavailableError(absl::StrCat("reading ", name, ": no last key"));
    // The end of a range deletion is exclusive: the smallest key after the last one.
    std::string end = it->key().ToString();
    end.push_back('\0');
    rocksdb::Status s = batch.DeleteRange(handle, first, end);
    if (!s.ok()) return FromRocksDb(s, absl::StrCat("clearing ", name));
    cleared.push_back(handle);
  }
  if (cleared.empty()) return absl::OkStatus();
  absl::Status written = Write(&batch, /*sync=*/true);
  if (!written.ok()) return written;
  // Compaction drops the files the range deletions cover, so the rebuild writes into empty
  // column families instead of above millions of tombstoned keys.
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* handle : cleared) {
    rocksdb::Status s = db_->CompactRange(options, handle, nullptr, nullptr);
    if (!s.ok()) return FromRocksDb(s, "compacting a cleared projection");
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
  s = checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0);
  KeepMemtableNonEmpty();
  return FromRocksDb(s, "creating a checkpoint");
}

absl::Status Db::Flush() {
  absl::Status resumed = MaybeResume(/*force=*/true);
  if (!resumed.ok()) return resumed;
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (auto& [name, handle] : handles_) all.push_back(handle);
  rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), all);
  KeepMemtableNonEmpty();
  if (!s.ok()) return FromRocksDb(s, "flushing");
  return SyncWal();
}

}  // namespace authd::storage
