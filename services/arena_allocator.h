// ArenaMessageAllocator: a gRPC callback-API message allocator that puts a unary call's request and
// response on one protobuf Arena whose first block lives inside the holder, so parsing a request
// of a few KB (Envoy's CheckRequest with its header map) and building its response cost one
// allocation (the holder) instead of one per string and map entry. Larger messages spill into
// heap blocks the arena frees with the call. Register with the generated
// `SetMessageAllocatorFor_<Method>`; the allocator must outlive the server. Thread-safe
// (stateless; each call gets its own holder). Header-only.
#ifndef AUTHD_SERVICES_ARENA_ALLOCATOR_H_
#define AUTHD_SERVICES_ARENA_ALLOCATOR_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <cstddef>

namespace authd::services {

template <typename Request, typename Response, size_t kInlineBytes = 8192>
class ArenaMessageAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder(); }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(Options(block_)) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options(char* block) {
      google::protobuf::ArenaOptions o;
      o.initial_block = block;
      o.initial_block_size = kInlineBytes;
      return o;
    }
    alignas(16) char block_[kInlineBytes];
    google::protobuf::Arena arena_;  // after block_: built from it, destroyed before it
  };
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_ARENA_ALLOCATOR_H_
