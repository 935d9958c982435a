// ThreadSanitizer suppressions for storage tests that read RocksDB while other threads write it.
// Debian's librocksdb is not instrumented (.bazelrc, build:tsan): its memtable skiplist publishes
// new entries with atomics TSan never sees, so a Get or an iterator running inside RocksDB beside
// a concurrent write looks like a race on the memtable bytes (RocksDB's memcmp against its own
// MemTable::Add memcpy). The suppression drops reports with a frame in librocksdb; it would also
// hide a race in a callback RocksDB calls into authd (the info logger, the event listener), which
// storage/db.cc keeps to a file descriptor, an atomic and an authd::Mutex. Every race between authd's own
// (instrumented) frames is still reported, and RocksDB's pthread locks are still seen. Linked only
// into the executables of the tests that need it (TSan finds the hook only there); without TSan
// nothing calls it.
extern "C" const char* __tsan_default_suppressions() { return "race:librocksdb.so\n"; }
