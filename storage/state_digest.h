// StateDigest: one SHA-256 over a store's projection rows, the fingerprint two replicas at the same
// position must share (TokenStore::Verify reports it; an etcd snapshot carries it, checked when a
// replica loads the snapshot: storage/etcd/etcd_snapshot.h). The rows are fed in (column family,
// key) order, column families in Db::ProjectionCfs() order; each row is hashed as
//
//   [len(cf): u32 BE][cf][len(key): u32 BE][key][len(value): u32 BE][value]
//
// so no two different row sequences hash the same bytes. Version 1 of this encoding; a change is a
// new version, never an edit. Pure; thread-compatible.
#ifndef AUTHD_STORAGE_STATE_DIGEST_H_
#define AUTHD_STORAGE_STATE_DIGEST_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace authd::storage {

class StateDigest {
 public:
  StateDigest();
  ~StateDigest();
  StateDigest(const StateDigest&) = delete;
  StateDigest& operator=(const StateDigest&) = delete;

  void Add(absl::string_view cf, absl::string_view key, absl::string_view value);
  // The 32-byte digest of every row added. Call once.
  std::string Finish();
  uint64_t rows() const { return rows_; }

  // Lowercase hex of `digest` (for reports and logs).
  static std::string Hex(absl::string_view digest);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  uint64_t rows_ = 0;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_STATE_DIGEST_H_
