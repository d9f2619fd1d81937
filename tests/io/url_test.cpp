// URL parsing and the printable form that keeps credentials out of messages.
#include "io/url.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "io/source.hpp"

using namespace trigml;
using namespace trigml::io;

TEST(Url, XRootDPathsAreAbsoluteAfterTheDoubleSlash) {
  Url url = parse_url("root://eosuser.cern.ch:1094//eos/user/a/data.root?xrd.wantprot=unix");
  EXPECT_EQ(url.scheme, Scheme::XRootD);
  EXPECT_EQ(url.host, "eosuser.cern.ch");
  ASSERT_TRUE(url.port.has_value());
  EXPECT_EQ(*url.port, 1094);
  EXPECT_EQ(url.path, "/eos/user/a/data.root");
  EXPECT_EQ(url.query, "xrd.wantprot=unix");
  EXPECT_EQ(url.full(), "root://eosuser.cern.ch:1094//eos/user/a/data.root?xrd.wantprot=unix");
  EXPECT_THROW(parse_url("root://host/relative.root"), UsageError);
  // roots:// (XRootD over TLS) stays roots:// when handed to the client.
  EXPECT_EQ(parse_url("roots://h.example//a.root").full(), "roots://h.example//a.root");
  EXPECT_EQ(parse_url("XROOT://h.example//a.root").printable(), "xroot://h.example//a.root");
}

TEST(Url, HttpsAndLocalPaths) {
  Url url = parse_url("https://data.example.org/store/a.parquet");
  EXPECT_EQ(url.scheme, Scheme::Https);
  EXPECT_FALSE(url.port.has_value());
  EXPECT_EQ(url.path, "/store/a.parquet");
  EXPECT_EQ(url.with_path("/store/b.parquet").full(), "https://data.example.org/store/b.parquet");
  EXPECT_EQ(parse_url("https://h/ds/?authz=t").joined("part-0.parquet").full(),
            "https://h/ds/part-0.parquet?authz=t");
  EXPECT_EQ(parse_url("root://h//ds").joined("_manifest.json").full(), "root://h//ds/_manifest.json");
  EXPECT_EQ(parse_url("/tmp/x.root").scheme, Scheme::File);
  EXPECT_EQ(parse_url("file:///tmp/x.root").path, "/tmp/x.root");
  EXPECT_FALSE(is_remote("/tmp/x.root"));
  EXPECT_FALSE(is_remote("file:///tmp/x.root"));
  EXPECT_TRUE(is_remote("ROOT://h//x"));
  EXPECT_THROW(parse_url("https://h:99999/x"), UsageError);
  EXPECT_THROW(parse_url("https://:80/x"), UsageError);
  EXPECT_THROW(parse_url("gopher://h/x"), UsageError);
}

TEST(Url, CredentialsNeverPrinted) {
  Url url = parse_url("https://alice:hunter2@h.example/x.root?authz=SECRETTOKEN&n=3&X-Amz-Signature=abc");
  EXPECT_EQ(url.user, "alice");
  EXPECT_EQ(url.password, "hunter2");
  EXPECT_EQ(url.printable(), "https://h.example/x.root?authz=***&n=3&X-Amz-Signature=***");
  EXPECT_EQ(printable_location("gopher://bob:pw@h/x?token=1"), "gopher://h/x");
  try {
    parse_url("gopher://bob:pw@h/x?token=1");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("token=1"), std::string::npos) << e.what();
  }
}

TEST(Url, LocalFilesOpenThroughTheSameEntry) {
  EXPECT_THROW(open_source("/nonexistent/trigml/x.root"), NotFoundError);
  EXPECT_THROW(open_source("file:///nonexistent/trigml/x.root"), NotFoundError);
}
