// The generated etcd v3 code (storage/etcd:etcd_v3_proto) is etcd's own API, with the imports its
// options need linked in: the services and a method's wire names are those of etcd 3.4's
// rpc.proto, and the google.api.http and gogoproto options parsed into the descriptors.
#include <gtest/gtest.h>

#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "etcd/etcdserver/etcdserverpb/rpc.pb.h"
#include "etcd/mvcc/mvccpb/kv.pb.h"
#include "gogoproto/gogo.pb.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"

namespace {

TEST(EtcdV3ProtoTest, ServicesHaveEtcdsWireNames) {
  EXPECT_STREQ(etcdserverpb::KV::service_full_name(), "etcdserverpb.KV");
  EXPECT_STREQ(etcdserverpb::Watch::service_full_name(), "etcdserverpb.Watch");
  EXPECT_STREQ(etcdserverpb::Lease::service_full_name(), "etcdserverpb.Lease");
  EXPECT_STREQ(etcdserverpb::Cluster::service_full_name(), "etcdserverpb.Cluster");
  EXPECT_STREQ(etcdserverpb::Maintenance::service_full_name(), "etcdserverpb.Maintenance");
  EXPECT_STREQ(etcdserverpb::Auth::service_full_name(), "etcdserverpb.Auth");
}

TEST(EtcdV3ProtoTest, ImportedOptionsAreParsedIntoTheDescriptors) {
  const google::protobuf::MethodDescriptor* range =
      etcdserverpb::RangeRequest::descriptor()->file()->FindServiceByName("KV")->FindMethodByName(
          "Range");
  ASSERT_NE(range, nullptr);
  EXPECT_EQ(range->options().GetExtension(google::api::http).post(), "/v3/kv/range");
  EXPECT_TRUE(mvccpb::KeyValue::descriptor()->file()->options().GetExtension(
      gogoproto::marshaler_all));
}

TEST(EtcdV3ProtoTest, FieldNumbersAreEtcds) {
  // Spot checks against etcd's wire format: a retyped proto would drift here first.
  const auto* put = etcdserverpb::PutRequest::descriptor();
  EXPECT_EQ(put->FindFieldByName("prev_kv")->number(), 4);
  const auto* create = etcdserverpb::WatchCreateRequest::descriptor();
  EXPECT_EQ(create->FindFieldByName("progress_notify")->number(), 4);
  EXPECT_EQ(etcdserverpb::WatchResponse::descriptor()->FindFieldByName("compact_revision")->number(),
            5);
}

}  // namespace
