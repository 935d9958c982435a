// The values EtcdClient and EtcdWatch take and return: plain structs over etcd v3's data model
// (keys and values are bytes; every change bumps the cluster's revision), so callers never see
// the generated protos. Independent of authd's own storage types. Value types; no locking.
#ifndef AUTHD_STORAGE_ETCD_ETCD_TYPES_H_
#define AUTHD_STORAGE_ETCD_ETCD_TYPES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace authd::storage::etcd {

// One key as etcd stores it. Revisions are the cluster-wide revision of the change.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // the revision that created the key (since its last delete)
  int64_t mod_revision = 0;     // the revision of its last change
  int64_t version = 0;          // number of changes since creation (0: absent)
};

struct RangeOptions {
  // Every key starting with the given key, instead of that key alone. Default: false.
  bool prefix = false;
  // Every key from the given key up to (not including) this one; ignored with `prefix`.
  // Default: empty (the key alone).
  std::string range_end;
  // At most this many keys (0: no limit). Default: 0.
  int64_t limit = 0;
  // Read the store as of this revision (0: the latest). A compacted revision is kOutOfRange.
  // Default: 0.
  int64_t revision = 0;
};

struct RangeResult {
  int64_t revision = 0;  // the store's revision when the range was served
  std::vector<KeyValue> kvs;
  bool more = false;     // `limit` cut the answer short
  int64_t count = 0;     // how many keys the range holds in total
};

// One condition of a Txn, on one key.
struct Compare {
  enum class Target { kVersion, kCreateRevision, kModRevision, kValue };
  enum class Op { kEqual, kNotEqual, kGreater, kLess };

  // mod_revision(key) `op` revision. An absent key has mod_revision 0.
  static Compare ModRevision(std::string key, Op op, int64_t revision) {
    return {Target::kModRevision, op, std::move(key), revision, {}};
  }
  // version(key) `op` version. An absent key has version 0.
  static Compare Version(std::string key, Op op, int64_t version) {
    return {Target::kVersion, op, std::move(key), version, {}};
  }
  static Compare CreateRevision(std::string key, Op op, int64_t revision) {
    return {Target::kCreateRevision, op, std::move(key), revision, {}};
  }
  // value(key) `op` value (bytewise). A condition on an absent key's value is false.
  static Compare Value(std::string key, Op op, std::string value) {
    return {Target::kValue, op, std::move(key), 0, std::move(value)};
  }

  Target target = Target::kModRevision;
  Op op = Op::kEqual;
  std::string key;
  int64_t number = 0;  // for kVersion, kCreateRevision, kModRevision
  std::string value;   // for kValue
};

// One operation of a Txn branch.
struct TxnOp {
  enum class Kind { kPut, kRange, kDeleteRange };

  static TxnOp Put(std::string key, std::string value) {
    return {Kind::kPut, std::move(key), std::move(value), {}};
  }
  static TxnOp Range(std::string key, RangeOptions options = {}) {
    return {Kind::kRange, std::move(key), {}, options};
  }
  // Deletes every key in [key, range_end) (etcd's DeleteRange; `range_end` empty: the key alone).
  static TxnOp DeleteRange(std::string key, std::string range_end) {
    RangeOptions range;
    range.range_end = std::move(range_end);
    return {Kind::kDeleteRange, std::move(key), {}, std::move(range)};
  }

  Kind kind = Kind::kPut;
  std::string key;
  std::string value;    // kPut
  RangeOptions range;   // kRange; kDeleteRange uses range.range_end
};

struct TxnResult {
  bool succeeded = false;  // every Compare held: the `then` branch ran (else `otherwise`)
  int64_t revision = 0;    // the store's revision after the transaction
  // One per operation of the branch that ran, in order; `range` is filled for kRange.
  struct Response {
    TxnOp::Kind kind = TxnOp::Kind::kPut;
    RangeResult range;
    int64_t deleted = 0;  // for kDeleteRange: how many keys it deleted
  };
  std::vector<Response> responses;
};

// What one member says about itself (Maintenance.Status).
struct MemberStatus {
  std::string endpoint;
  uint64_t member_id = 0;
  uint64_t leader = 0;  // the leader's member ID as this member sees it (0: none)
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  uint64_t raft_applied_index = 0;
  int64_t db_size = 0;         // bytes of the backend file
  int64_t db_size_in_use = 0;  // bytes in use (the rest is reclaimed by Defragment)
  std::string version;         // etcd's version, e.g. "3.4.23"
  std::vector<std::string> errors;  // alarms and errors the member reports
};

struct Member {
  uint64_t id = 0;
  std::string name;
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};

struct WatchOptions {
  // The key, or with `prefix` every key starting with it, or every key in [key, range_end).
  std::string key;
  bool prefix = false;
  std::string range_end;  // ignored with `prefix`. Default: empty.
  // Deliver every change from this revision on (0: from now). A compacted revision ends the
  // watch with kOutOfRange (EtcdWatch::compact_revision() says where history starts).
  int64_t start_revision = 0;
  // Ask etcd for progress notifications: empty batches carrying the current revision, sent
  // while the watch is idle (every --experimental-watch-progress-notify-interval; etcd's
  // default is 10 minutes). Default: false.
  bool progress_notify = false;
  // Also deliver each event's previous value. Default: false.
  bool prev_kv = false;
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;       // for kDelete: the key and mod_revision (the delete's revision) only
  KeyValue prev_kv;  // with WatchOptions::prev_kv
};

// What one WatchResponse carried: events in revision order, or none (a progress notification:
// every change up to `revision` has been delivered).
struct WatchBatch {
  int64_t revision = 0;  // the store's revision when etcd sent the batch
  std::vector<WatchEvent> events;
  bool progress_notify() const { return events.empty(); }
};

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_ETCD_TYPES_H_
