#include "tests/e2e/raw_call.h"

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <google/protobuf/stubs/logging.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace authd::e2e {
namespace {

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// Waits for the one operation in flight; false when it failed (e.g. the server already closed).
bool Await(grpc::CompletionQueue* cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  // Every operation was started with the call's deadline, so Next always returns.
  if (!cq->Next(&got, &ok)) return false;
  return got == tag && ok;
}

}  // namespace

RawCallResult RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& token, const std::vector<std::string>& requests,
                      absl::Duration deadline) {
  RawCallResult result;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  if (!token.empty()) ctx.AddMetadata("authorization", "Token " + token);
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&ctx, method, &cq);
  int tag = 0;
  call->StartCall(&tag);
  bool open = Await(&cq, &tag);
  for (const std::string& request : requests) {
    if (!open) break;
    call->Write(ToByteBuffer(request), &tag);
    open = Await(&cq, &tag);
  }
  if (open) {
    call->WritesDone(&tag);
    Await(&cq, &tag);
  }
  // Drain the replies (bounded by the deadline), then the status.
  for (;;) {
    grpc::ByteBuffer reply;
    call->Read(&reply, &tag);
    if (!Await(&cq, &tag)) break;
    result.replies.push_back(FromByteBuffer(reply));
  }
  call->Finish(&result.status, &tag);
  Await(&cq, &tag);
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
  return result;
}

std::string SerializeRaw(const google::protobuf::Message& message) {
  google::protobuf::LogSilencer silence;
  std::string out;
  message.SerializePartialToString(&out);
  return out;
}

}  // namespace authd::e2e
