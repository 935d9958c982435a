// seed_etcd_snapshot: puts a seeded store (bench/seed_store's data dir, e.g. 1M tokens) into etcd
// the way a replica that had applied it would leave it: a snapshot at the store's checkpoint S
// (storage/etcd/etcd_snapshot.h, the same WriteSnapshot a replica runs) and the log head at S. A
// fresh replica on that prefix then starts by installing the snapshot: the cold start that
// bench/run.sh's "etcd" part times. The prefix must be empty. Loopback endpoints only.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "authd/storage/v1/etcd_log.pb.h"
#include "bench/flags.h"
#include "storage/db.h"
#include "storage/etcd/etcd_client.h"
#include "storage/etcd/etcd_keys.h"
#include "storage/etcd/etcd_snapshot.h"
#include "storage/keys.h"

namespace {

bool IsLoopbackUrl(const std::string& url) {
  return absl::StartsWith(url, "http://127.0.0.1:") || absl::StartsWith(url, "http://localhost:");
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir, endpoints, prefix = "/authd/";
  authd::bench::Flags flags;
  flags.Add("data-dir", &data_dir, "a seeded store's RocksDB dir (the `current` store of a data dir)");
  flags.Add("etcd-endpoints", &endpoints, "comma-separated http://127.0.0.1:PORT URLs");
  flags.Add("etcd-prefix", &prefix, "an empty key prefix to write under");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "seed_etcd_snapshot: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("seed_etcd_snapshot", "Write a seeded store into etcd as a snapshot.")
                   .c_str(),
               stdout);
    return 0;
  }
  authd::storage::etcd::EtcdClientOptions client_options;
  for (absl::string_view e : absl::StrSplit(endpoints, ',', absl::SkipWhitespace())) {
    client_options.endpoints.emplace_back(absl::StripAsciiWhitespace(e));
  }
  for (const std::string& e : client_options.endpoints) {
    if (!IsLoopbackUrl(e)) {
      std::fprintf(stderr, "seed_etcd_snapshot: loopback endpoints only (%s)\n", e.c_str());
      return 2;
    }
  }
  if (data_dir.empty() || client_options.endpoints.empty()) {
    std::fprintf(stderr, "seed_etcd_snapshot: need --data-dir and --etcd-endpoints\n");
    return 2;
  }
  client_options.call_timeout = absl::Seconds(30);
  auto client = authd::storage::etcd::EtcdClient::Create(client_options);
  if (!client.ok()) {
    std::fprintf(stderr, "seed_etcd_snapshot: %s\n", client.status().ToString().c_str());
    return 1;
  }
  const authd::storage::etcd::EtcdKeys keys(prefix);
  authd::storage::etcd::RangeOptions any;
  any.prefix = true;
  any.limit = 1;
  auto existing = (*client)->Range(keys.Root(), any);
  if (!existing.ok() || existing->count != 0) {
    std::fprintf(stderr, "seed_etcd_snapshot: the prefix %s is not empty (or etcd is down)\n",
                 prefix.c_str());
    return 1;
  }
  auto db = authd::storage::Db::Open(data_dir);
  if (!db.ok()) {
    std::fprintf(stderr, "seed_etcd_snapshot: %s\n", db.status().ToString().c_str());
    return 1;
  }
  const absl::Time start = absl::Now();
  std::unique_ptr<authd::storage::Db::PointInTime> view = (*db)->NewPointInTime();
  auto written = authd::storage::etcd::WriteSnapshot(**client, keys, *view,
                                                     authd::storage::etcd::kDefaultSnapshotChunkBytes);
  if (!written.ok() || !written->written) {
    std::fprintf(stderr, "seed_etcd_snapshot: %s\n",
                 written.ok() ? "no snapshot written" : written.status().ToString().c_str());
    return 1;
  }
  authd::storage::v1::LogHead head;
  head.set_format_version(authd::storage::etcd::kLogFormatVersion);
  head.set_last_sequence(written->header.last_sequence());
  auto put = (*client)->Put(keys.Head(), head.SerializeAsString());
  if (!put.ok()) {
    std::fprintf(stderr, "seed_etcd_snapshot: %s\n", put.status().ToString().c_str());
    return 1;
  }
  std::printf("snapshot at sequence %llu: %llu rows in %u chunks, written in %s\n",
              static_cast<unsigned long long>(written->header.last_sequence()),
              static_cast<unsigned long long>(written->header.row_count()),
              written->header.chunk_count(), absl::FormatDuration(absl::Now() - start).c_str());
  return 0;
}
