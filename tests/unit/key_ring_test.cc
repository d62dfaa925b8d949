// KeyRing: the keys file parsed and checked, identities found by key and by
// name, and the subscribe grants each role gets.
#include "auth/key_ring.h"

#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/curve_keys.h"

namespace zonecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string NewPublicKey() {
  absl::StatusOr<CurveKeys> keys = GenerateCurveKeys();
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? keys->public_key : "";
}

v1::KeyGrant Grant(const std::string& identity, v1::Role role,
                   std::vector<std::string> zones = {}) {
  v1::KeyGrant grant;
  grant.set_public_key(NewPublicKey());
  grant.set_identity(identity);
  grant.set_role(role);
  for (std::string& zone : zones) grant.add_zones(std::move(zone));
  return grant;
}

v1::KeysFile Jincheng() {
  v1::KeysFile file;
  file.set_city("jincheng");
  *file.add_grants() = Grant("center-op-1", v1::CENTER);
  v1::KeyGrant unit = Grant("jc-z10-v01", v1::TERMINAL, {"z10"});
  unit.set_patrol_group("jc-pg10");
  unit.set_escalation(true);
  *file.add_grants() = unit;
  *file.add_grants() = Grant("jc-z03-v01", v1::TERMINAL, {"z03", "z04"});
  *file.add_grants() = Grant("probe-1", v1::PROBE);
  return file;
}

TEST(KeyRingTest, FindsIdentitiesByKeyAndName) {
  const v1::KeysFile file = Jincheng();
  absl::StatusOr<KeyRing> ring = KeyRing::FromFile(file);
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ(ring->size(), 4u);
  const Identity* unit = ring->FindByKey(CurveKeyBytes(file.grants(1).public_key()));
  ASSERT_NE(unit, nullptr);
  EXPECT_EQ(unit->name, "jc-z10-v01");
  EXPECT_EQ(unit->role, v1::TERMINAL);
  EXPECT_EQ(unit->patrol_group, "jc-pg10");
  EXPECT_EQ(ring->FindByName("jc-z10-v01"), unit);
  EXPECT_EQ(ring->FindByKey(CurveKeyBytes(NewPublicKey())), nullptr);
  EXPECT_EQ(ring->FindByName("jc-z99-v01"), nullptr);
}

TEST(KeyRingTest, GrantsFollowTheRole) {
  absl::StatusOr<KeyRing> ring = KeyRing::FromFile(Jincheng());
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_THAT(ring->FindByName("center-op-1")->subscribe, ElementsAre(">"));
  EXPECT_THAT(ring->FindByName("probe-1")->subscribe, ElementsAre("probe.>", "sys.>"));
  EXPECT_THAT(
      ring->FindByName("jc-z10-v01")->subscribe,
      ElementsAre("alert.jincheng.z10", "escalation.jincheng", "radio.jincheng.*.jc-z10-v01"));
  EXPECT_THAT(
      ring->FindByName("jc-z03-v01")->subscribe,
      ElementsAre("alert.jincheng.z03", "alert.jincheng.z04", "radio.jincheng.*.jc-z03-v01"));
}

TEST(KeyRingTest, RejectsWhatCannotBeMeant) {
  auto expect_invalid = [](v1::KeysFile file, const std::string& what) {
    absl::StatusOr<KeyRing> ring = KeyRing::FromFile(file);
    EXPECT_EQ(ring.status().code(), absl::StatusCode::kInvalidArgument) << what;
    EXPECT_THAT(ring.status().message(), HasSubstr(what)) << ring.status();
  };
  v1::KeysFile file = Jincheng();
  file.mutable_grants(1)->set_public_key(file.grants(0).public_key());
  expect_invalid(file, "listed twice");
  file = Jincheng();
  file.mutable_grants(2)->set_identity("jc-z10-v01");
  expect_invalid(file, "listed twice");
  file = Jincheng();
  file.mutable_grants(0)->set_public_key("not a key");
  expect_invalid(file, "public_key");
  file = Jincheng();
  file.mutable_grants(0)->set_role(v1::ROLE_UNSPECIFIED);
  expect_invalid(file, "role");
  file = Jincheng();
  file.mutable_grants(2)->clear_zones();
  expect_invalid(file, "zones");
  file = Jincheng();
  file.mutable_grants(2)->set_zones(0, "z0*");
  expect_invalid(file, "zone");
  file = Jincheng();
  file.mutable_grants(2)->set_identity("jc.z03");
  expect_invalid(file, "identity");
  file = Jincheng();
  file.clear_city();
  expect_invalid(file, "city");
}

TEST(KeyRingTest, LoadNamesTheFileAndTheProblem) {
  const std::string path = ::testing::TempDir() + "/key_ring_test_keys.json";
  std::ofstream(path) << R"({"city": "jincheng", "grants": [{"identity": "x", "colour": 1}]})";
  absl::StatusOr<KeyRing> ring = KeyRing::Load(path);
  EXPECT_EQ(ring.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ring.status().message(), HasSubstr(path));
  EXPECT_EQ(KeyRing::Load(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

// The example shipped in deploy/ must load.
TEST(KeyRingTest, ShippedJinchengExampleLoads) {
  absl::StatusOr<KeyRing> ring =
      KeyRing::Load(std::string(ZONECAST_SOURCE_DIR) + "/deploy/keys/jincheng.example.json");
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_NE(ring->FindByName("jc-z10-v01"), nullptr);
  // A wall operator needs no CURVE key.
  const Identity* wall = ring->FindByName("center-wall-1");
  ASSERT_NE(wall, nullptr);
  EXPECT_EQ(wall->role, v1::CENTER);
  EXPECT_TRUE(wall->public_key.empty());
}

// printf %s li-wei-wall-token-0001 | sha256sum
constexpr char kLiWeiTokenHash[] =
    "5f8639088399f198e7e56cc4ecde9ec51ede9c6aa508a9a138e570cede5c7de3";

TEST(KeyRingTest, FindsAWallOperatorByTokenAndKeepsOnlyItsHash) {
  v1::KeysFile file = Jincheng();
  // An operator who works only on the wall needs no CURVE key.
  v1::KeyGrant li;
  li.set_identity("li-wei");
  li.set_role(v1::CENTER);
  li.set_http_token_sha256(kLiWeiTokenHash);
  *file.add_grants() = li;
  absl::StatusOr<KeyRing> ring = KeyRing::FromFile(file);
  ASSERT_TRUE(ring.ok()) << ring.status();
  const Identity* found = ring->FindByToken("li-wei-wall-token-0001");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "li-wei");
  EXPECT_EQ(found->role, v1::CENTER);
  EXPECT_EQ(ring->FindByToken("li-wei-wall-token-0002"), nullptr);
  EXPECT_EQ(ring->FindByToken(""), nullptr);
  // The hash itself is no token.
  EXPECT_EQ(ring->FindByToken(kLiWeiTokenHash), nullptr);
}

TEST(KeyRingTest, RefusesWallTokensThatAreMalformedSharedOrNotACenters) {
  struct Case {
    v1::Role role;
    std::string hash;
    std::string error;
  };
  const std::vector<Case> cases = {
      {v1::CENTER, "5f86", "64 hex digits"},
      {v1::CENTER, std::string(64, 'g'), "lowercase hex"},
      {v1::CENTER, absl::AsciiStrToUpper(kLiWeiTokenHash), "lowercase hex"},
      {v1::PROBE, kLiWeiTokenHash, "only a CENTER operator"},
  };
  for (const Case& c : cases) {
    v1::KeysFile file = Jincheng();
    v1::KeyGrant grant = Grant("someone", c.role);
    grant.set_http_token_sha256(c.hash);
    *file.add_grants() = grant;
    absl::StatusOr<KeyRing> ring = KeyRing::FromFile(file);
    ASSERT_FALSE(ring.ok()) << c.hash;
    EXPECT_THAT(ring.status().message(), HasSubstr(c.error)) << c.hash;
  }
  // Two operators with one token could not be told apart in the timeline.
  v1::KeysFile file = Jincheng();
  for (const char* name : {"li-wei", "zhao-min"}) {
    v1::KeyGrant grant = Grant(name, v1::CENTER);
    grant.set_http_token_sha256(kLiWeiTokenHash);
    *file.add_grants() = grant;
  }
  absl::StatusOr<KeyRing> ring = KeyRing::FromFile(file);
  ASSERT_FALSE(ring.ok());
  EXPECT_THAT(ring.status().message(), HasSubstr("another operator's"));
  // Without a token a grant still needs its key.
  file = Jincheng();
  v1::KeyGrant keyless;
  keyless.set_identity("nobody");
  keyless.set_role(v1::CENTER);
  *file.add_grants() = keyless;
  EXPECT_FALSE(KeyRing::FromFile(file).ok());
}

}  // namespace
}  // namespace zonecast
