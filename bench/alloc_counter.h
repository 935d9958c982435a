// Allocation counting for the in-process benchmarks: linking //bench:alloc_counter interposes
// malloc, calloc and realloc (counted) and operator new (counted apart, then malloc), so a
// benchmark reports allocations per operation as the difference of two readings. Counters are
// relaxed atomics: exact for one thread, a sum across threads. Thread-safe.
#ifndef AUTHD_BENCH_ALLOC_COUNTER_H_
#define AUTHD_BENCH_ALLOC_COUNTER_H_

#include <cstdint>

namespace authd::bench {

// Calls of malloc, calloc and realloc so far (operator new's own malloc included).
uint64_t MallocCount();
// Calls of operator new / new[] so far.
uint64_t NewCount();

}  // namespace authd::bench

#endif  // AUTHD_BENCH_ALLOC_COUNTER_H_
