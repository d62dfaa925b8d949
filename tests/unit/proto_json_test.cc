#include "shared/proto_json.h"

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast {
namespace {

TEST(ProtoJsonTest, FieldOrderSortedMapsAndExactIntegers) {
  v1::StatsSnapshot stats;
  stats.set_broker_id("zc \"1\"");
  stats.set_unix_ms(4'611'686'018'427'387'904);  // 2^62: a double would round it
  (*stats.mutable_counters())["zeta"] = 1;
  (*stats.mutable_counters())["alpha"] = 18'446'744'073'709'551'615u;
  (*stats.mutable_gauges())["sessions"] = -3;
  stats.add_latency()->set_count(7);
  JsonOptions compact;
  compact.all_fields = false;
  EXPECT_EQ(ProtoToJson(stats, compact),
            "{\"broker_id\":\"zc \\\"1\\\"\",\"unix_ms\":4611686018427387904,"
            "\"counters\":{\"alpha\":18446744073709551615,\"zeta\":1},"
            "\"gauges\":{\"sessions\":-3},\"latency\":[{\"count\":7}]}");
  // Protobuf reads it back, numbers for 64-bit fields included.
  v1::StatsSnapshot back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ProtoToJson(stats), &back).ok());
  EXPECT_EQ(back.unix_ms(), stats.unix_ms());
  EXPECT_EQ(back.counters().at("alpha"), 18'446'744'073'709'551'615u);
}

TEST(ProtoJsonTest, PrettyAndAllFields) {
  v1::SessionList list;
  list.add_sessions()->set_unit("jc-z07-v01");
  JsonOptions pretty;
  pretty.pretty = true;
  const std::string json = ProtoToJson(list, pretty);
  EXPECT_NE(json.find("\n  \"sessions\": [\n    {\n      \"unit\": \"jc-z07-v01\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"queued_messages\": 0"), std::string::npos) << json;  // zero printed
  EXPECT_NE(json.find("\"unix_ms\": 0"), std::string::npos) << json;
}

TEST(ProtoJsonTest, JsonWithMember) {
  EXPECT_EQ(JsonWithMember("{}", "error", JsonString("bad \"x\"")),
            "{\"error\":\"bad \\\"x\\\"\"}");
  EXPECT_EQ(JsonWithMember("{\"a\":1}", "b", "2"), "{\"b\":2,\"a\":1}");
}

}  // namespace
}  // namespace zonecast
