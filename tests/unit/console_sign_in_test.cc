// ConsoleSignIn: wall operators found by their token in the keys in force,
// and the keys the console admits for one action each, accepted only as a
// center the keys in force still name.
#include "auth/console_sign_in.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "shared/curve_keys.h"

namespace zonecast {
namespace {

// printf %s li-wei-wall-token-0001 | sha256sum
constexpr char kLiWeiTokenHash[] =
    "5f8639088399f198e7e56cc4ecde9ec51ede9c6aa508a9a138e570cede5c7de3";

std::shared_ptr<const KeyRing> Keys(bool with_li_wei, v1::Role li_wei_role = v1::CENTER) {
  v1::KeysFile file;
  file.set_city("jincheng");
  v1::KeyGrant unit;
  unit.set_public_key(GenerateCurveKeys()->public_key);
  unit.set_identity("jc-z03-v01");
  unit.set_role(v1::TERMINAL);
  unit.add_zones("z03");
  *file.add_grants() = unit;
  if (with_li_wei) {
    v1::KeyGrant li;
    li.set_identity("li-wei");
    li.set_role(li_wei_role);
    if (li_wei_role == v1::CENTER) {
      li.set_http_token_sha256(kLiWeiTokenHash);
    } else {
      li.set_public_key(GenerateCurveKeys()->public_key);
    }
    *file.add_grants() = li;
  }
  absl::StatusOr<KeyRing> ring = KeyRing::FromFile(file);
  EXPECT_TRUE(ring.ok()) << ring.status();
  return std::make_shared<const KeyRing>(*std::move(ring));
}

TEST(ConsoleSignInTest, KnowsOperatorsOnlyFromTheKeysInForce) {
  ConsoleSignIn sign_in;
  EXPECT_FALSE(sign_in.has_keys());
  EXPECT_FALSE(sign_in.OperatorOf("li-wei-wall-token-0001").has_value());
  sign_in.SetKeys(Keys(true));
  EXPECT_TRUE(sign_in.has_keys());
  EXPECT_EQ(sign_in.OperatorOf("li-wei-wall-token-0001"), "li-wei");
  EXPECT_FALSE(sign_in.OperatorOf("someone-else's-token").has_value());
  // A reload that drops the operator signs them out at once.
  sign_in.SetKeys(Keys(false));
  EXPECT_FALSE(sign_in.OperatorOf("li-wei-wall-token-0001").has_value());
}

TEST(ConsoleSignInTest, AnAdmittedKeyIsItsOperatorUntilRetired) {
  ConsoleSignIn sign_in;
  std::shared_ptr<const KeyRing> keys = Keys(true);
  const std::string key = CurveKeyBytes(GenerateCurveKeys()->public_key);
  EXPECT_EQ(ConsoleSignIn::AdmittedIdentity(&sign_in, *keys, key), nullptr);
  EXPECT_EQ(ConsoleSignIn::AdmittedIdentity(nullptr, *keys, key), nullptr);
  ASSERT_TRUE(sign_in.AdmitKey(key, "li-wei"));
  const Identity* identity = ConsoleSignIn::AdmittedIdentity(&sign_in, *keys, key);
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(identity->name, "li-wei");
  // Checked against the keys the caller holds: a dropped operator is nobody.
  EXPECT_EQ(ConsoleSignIn::AdmittedIdentity(&sign_in, *Keys(false), key), nullptr);
  sign_in.RetireKey(key);
  EXPECT_EQ(ConsoleSignIn::AdmittedIdentity(&sign_in, *keys, key), nullptr);
}

TEST(ConsoleSignInTest, AnAdmittedKeyNeverMakesATerminalOrProbe) {
  ConsoleSignIn sign_in;
  const std::string key = CurveKeyBytes(GenerateCurveKeys()->public_key);
  ASSERT_TRUE(sign_in.AdmitKey(key, "jc-z03-v01"));
  EXPECT_EQ(ConsoleSignIn::AdmittedIdentity(&sign_in, *Keys(true), key), nullptr);
  ASSERT_TRUE(sign_in.AdmitKey(key, "li-wei"));
  EXPECT_EQ(ConsoleSignIn::AdmittedIdentity(&sign_in, *Keys(true, v1::PROBE), key), nullptr);
}

TEST(ConsoleSignInTest, AdmitsABoundedNumberOfKeys) {
  ConsoleSignIn sign_in;
  for (size_t i = 0; i < ConsoleSignIn::kMaxAdmittedKeys; ++i) {
    ASSERT_TRUE(sign_in.AdmitKey("key-" + std::to_string(i), "li-wei"));
  }
  EXPECT_FALSE(sign_in.AdmitKey("one-more", "li-wei"));
  sign_in.RetireKey("key-0");
  EXPECT_TRUE(sign_in.AdmitKey("one-more", "li-wei"));
}

}  // namespace
}  // namespace zonecast
