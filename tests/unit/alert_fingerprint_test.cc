// AlertFingerprint: the same alert again matches, another alert does not.
#include "protocol/alert_fingerprint.h"

#include "gtest/gtest.h"

namespace zonecast {
namespace {

v1::Alert Bridge() {
  v1::Alert alert;
  alert.set_alert_id("jc-0417-01");
  alert.set_category("suicide_risk");
  alert.set_title("Woman on the Lanhua bridge railing");
  alert.set_body("go now");
  alert.mutable_location()->set_lat(35.49);
  alert.mutable_location()->set_lon(112.85);
  alert.set_created_unix_ms(1700000000000);
  return alert;
}

constexpr char kZ10[] = "alert.jincheng.z10";

TEST(AlertFingerprintTest, ARetryBuiltLaterMatches) {
  v1::Alert later = Bridge();
  later.set_created_unix_ms(1700000009999);  // built again for the retry
  EXPECT_EQ(AlertFingerprint(kZ10, v1::P1, Bridge()), AlertFingerprint(kZ10, v1::P1, later));
  EXPECT_NE(AlertFingerprint(kZ10, v1::P1, Bridge()), 0u);
}

TEST(AlertFingerprintTest, AnotherAlertDiffers) {
  const uint32_t original = AlertFingerprint(kZ10, v1::P1, Bridge());
  EXPECT_NE(AlertFingerprint("alert.jincheng.z03", v1::P1, Bridge()), original);
  EXPECT_NE(AlertFingerprint(kZ10, v1::P2, Bridge()), original);
  v1::Alert other = Bridge();
  other.set_title("Quarrel, a car smashed");
  EXPECT_NE(AlertFingerprint(kZ10, v1::P1, other), original);
  other = Bridge();
  other.set_body("go now!");
  EXPECT_NE(AlertFingerprint(kZ10, v1::P1, other), original);
  other = Bridge();
  other.mutable_location()->set_lat(35.50);
  EXPECT_NE(AlertFingerprint(kZ10, v1::P1, other), original);
  // Field boundaries count: moving text from title to body is another alert.
  v1::Alert a = Bridge();
  a.set_title("ab");
  a.set_body("c");
  v1::Alert b = Bridge();
  b.set_title("a");
  b.set_body("bc");
  EXPECT_NE(AlertFingerprint(kZ10, v1::P1, a), AlertFingerprint(kZ10, v1::P1, b));
}

}  // namespace
}  // namespace zonecast
