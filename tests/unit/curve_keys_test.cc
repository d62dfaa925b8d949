// CURVE key files: what keygen writes is read back; the secret key file is
// private and never overwritten; bad files are refused with their name.
#include "shared/curve_keys.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::HasSubstr;

class CurveKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/curve_keys_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ::mkdir(dir_.c_str(), 0700);
  }
  std::string dir_;
};

TEST_F(CurveKeysTest, WrittenPairReadsBack) {
  absl::StatusOr<CurveKeys> keys = GenerateCurveKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_TRUE(ValidateCurveKey(keys->public_key).ok());
  EXPECT_EQ(CurveKeyText(CurveKeyBytes(keys->public_key)), keys->public_key);
  const std::string secret = dir_ + "/unit.key";
  const std::string pub = dir_ + "/unit.pub";
  ASSERT_TRUE(WriteCurveKeyFiles(*keys, secret, pub).ok());

  struct stat info {};
  ASSERT_EQ(::stat(secret.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  absl::StatusOr<CurveKeys> read = ReadSecretKeyFile(secret);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->public_key, keys->public_key);
  EXPECT_EQ(read->secret_key, keys->secret_key);
  absl::StatusOr<std::string> public_key = ReadPublicKeyFile(pub);
  ASSERT_TRUE(public_key.ok()) << public_key.status();
  EXPECT_EQ(*public_key, keys->public_key);
  // The public file holds no secret.
  std::ifstream in(pub);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, ::testing::Not(HasSubstr(keys->secret_key)));
  // A public key file is not a secret key file.
  EXPECT_EQ(ReadSecretKeyFile(pub).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(CurveKeysTest, NeverOverwrites) {
  absl::StatusOr<CurveKeys> keys = GenerateCurveKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(WriteCurveKeyFiles(*keys, dir_ + "/a.key", dir_ + "/a.pub").ok());
  absl::StatusOr<CurveKeys> other = GenerateCurveKeys();
  ASSERT_TRUE(other.ok());
  absl::Status again = WriteCurveKeyFiles(*other, dir_ + "/a.key", dir_ + "/a.pub");
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_EQ(ReadSecretKeyFile(dir_ + "/a.key")->secret_key, keys->secret_key);
}

TEST_F(CurveKeysTest, RefusesASecretKeyOthersMayRead) {
  absl::StatusOr<CurveKeys> keys = GenerateCurveKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(WriteCurveKeyFiles(*keys, dir_ + "/b.key", dir_ + "/b.pub").ok());
  ASSERT_EQ(::chmod((dir_ + "/b.key").c_str(), 0644), 0);
  absl::StatusOr<CurveKeys> read = ReadSecretKeyFile(dir_ + "/b.key");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(read.status().message(), HasSubstr("chmod 600"));
}

TEST_F(CurveKeysTest, BadFilesAreNamed) {
  const std::string path = dir_ + "/bad.key";
  std::ofstream(path) << R"({"public_key": "short", "secret_key": "short"})";
  ::chmod(path.c_str(), 0600);
  absl::StatusOr<CurveKeys> read = ReadSecretKeyFile(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(read.status().message(), HasSubstr(path));
  std::ofstream(path) << "not json";
  EXPECT_EQ(ReadSecretKeyFile(path).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSecretKeyFile(dir_ + "/missing.key").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(ValidateCurveKey(std::string(40, '"')).ok());
}

// Found by fuzzing: a NUL inside a 40-character key ended the decode early
// and left most of the key's bytes undefined; two parses of one keys file
// then disagreed about the key.
TEST_F(CurveKeysTest, RefusesAKeyWithANulOrAnotherCharacterInside) {
  absl::StatusOr<CurveKeys> keys = GenerateCurveKeys();
  ASSERT_TRUE(keys.ok());
  std::string with_nul = keys->public_key;
  with_nul[15] = '\0';
  EXPECT_FALSE(ValidateCurveKey(with_nul).ok());
  EXPECT_EQ(CurveKeyBytes(with_nul), "");
  std::string with_space = keys->public_key;
  with_space[3] = ' ';
  EXPECT_FALSE(ValidateCurveKey(with_space).ok());
  EXPECT_EQ(CurveKeyBytes(keys->public_key).size(), 32u);
}

}  // namespace
}  // namespace zonecast
