// Projector: turns one event into projection writes (and in-memory index updates). The SAME code
// runs on the live write path and when rebuilding projections from the log, which is why a rebuild
// equals the live projections byte for byte. Stateless; thread-safe.
#ifndef AUTHD_STORAGE_PROJECTOR_H_
#define AUTHD_STORAGE_PROJECTOR_H_

#include "absl/status/status.h"
#include "storage/projection_batch.h"
#include "storage/record_codec.h"

namespace authd::storage {

// Applies `event` to the projections seen through `batch`, recording writes and index updates in it.
// Errors: kDataLoss when the event contradicts the projections (e.g. updates a missing record) or a
// stored record fails to decode; kUnavailable from reads.
absl::Status Project(const pb::Event& event, ProjectionBatch* batch);

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_PROJECTOR_H_
