// Bad input never crashes, hangs or gives silently wrong numbers: every truncated prefix and
// seeded byte flips in the file header, the keys, the streamer record and compressed baskets
// either read exactly the original values or raise a trigml::Error naming the file and where.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "common/corpus.hpp"
#include "common/error.hpp"
#include "rootio/file.hpp"
#include "rootio/tree.hpp"

using namespace trigml;
using namespace trigml::rootio;

namespace {

const std::string kFiles = trigml::testing::corpus_dir() + "/files/";

#if defined(TRIGML_SANITIZED)
constexpr size_t kSampleDivisor = 8;  // sanitizer builds run a sparser sample
#else
constexpr size_t kSampleDivisor = 1;
#endif

std::vector<std::byte> load(const std::string& name) {
  std::ifstream in(kFiles + name, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

// Everything a reader gets from the file, as one hash: keys, trees, every branch's values.
size_t fingerprint(const std::shared_ptr<RootFile>& file) {
  size_t h = 0;
  auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
  for (const auto& entry : file->keys()) {
    mix(std::hash<std::string>{}(entry.path));
    if (entry.key.class_name != "TTree") continue;
    auto tree = Tree::open(file, entry.path, entry.key.cycle);
    mix(tree->entries());
    for (const Branch* b : tree->all_branches()) {
      if (!b->branches.empty() && b->element_type != 3 && b->element_type != 4) continue;
      Column c = tree->read(*b, 0, tree->entries());
      mix(std::hash<std::string_view>{}(
          std::string_view(reinterpret_cast<const char*>(c.values.data()), c.values.size())));
      for (const auto& level : c.offsets)
        for (uint64_t o : level) mix(o);
      for (const Value& v : c.objects) mix(std::hash<std::string>{}(to_json(v).dump()));
    }
  }
  return h;
}

// Opens and reads the bytes; returns true if they read exactly like the original.
bool read_or_fail_cleanly(const std::string& name, std::vector<std::byte> bytes, size_t original,
                          const std::string& what) {
  try {
    auto file = RootFile::open(std::make_unique<io::MemorySource>(name, std::move(bytes)));
    size_t h = fingerprint(file);
    EXPECT_EQ(h, original) << what << ": read without error but gave different values";
    return true;
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(name), std::string::npos) << what << ": " << message;
    bool located = message.find("offset") != std::string::npos ||
                   message.find("branch") != std::string::npos || message.find("key") != std::string::npos;
    EXPECT_TRUE(located) << what << ": the message says neither where nor which branch: " << message;
    return false;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": a " << typeid(e).name() << " escaped instead of a trigml error: " << e.what();
    return false;
  }
}

std::string file_test_name(const ::testing::TestParamInfo<std::string>& param_info) {
  std::string n = param_info.param;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

class Truncation : public ::testing::TestWithParam<std::string> {};

TEST_P(Truncation, EveryPrefixFailsCleanly) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto bytes = load(GetParam());
  size_t original = fingerprint(RootFile::open(kFiles + GetParam()));
  // Every prefix of the first 4 KB (headers, keys), then a stride over the rest.
  size_t stride = std::max<size_t>(1, bytes.size() / 1500) * kSampleDivisor;
  size_t failures = 0, tried = 0;
  for (size_t cut = 0; cut < bytes.size(); cut += cut < 4096 ? kSampleDivisor : stride) {
    std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    failures += !read_or_fail_cleanly("cut-" + GetParam(), std::move(prefix), original,
                                      fmt::format("prefix {}", cut));
    ++tried;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(failures, tried / 2) << "most truncations must be detected";
}

INSTANTIATE_TEST_SUITE_P(Files, Truncation,
                         ::testing::Values("uproot-small-flat-tree.root", "uproot-HZZ-lz4.root",
                                           "uproot-HZZ-zlib.root", "uproot-stl_containers.root",
                                           "uproot-small-evnt-tree-nosplit.root",
                                           "delphes_EICcard-d2eic_R6.32_1000ev.root"),
                         file_test_name);

class ByteFlips : public ::testing::TestWithParam<std::string> {};

TEST_P(ByteFlips, InHeadersKeysStreamersAndCompressedBasketsFailCleanly) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  const std::string name = GetParam();
  auto bytes = load(name);
  auto file = RootFile::open(kFiles + name);
  size_t original = fingerprint(file);
  // Regions: the file header, every key header, the streamer record, every basket's payload.
  std::vector<std::pair<uint64_t, uint64_t>> regions = {{0, 64}};
  for (const auto& entry : file->keys())
    regions.emplace_back(entry.key.seek_key, static_cast<uint64_t>(entry.key.key_length));
  regions.emplace_back(file->header().seek_info, file->header().nbytes_info);
  for (const auto& entry : file->keys()) {
    if (entry.key.class_name != "TTree") continue;
    auto tree = Tree::open(file, entry.path, entry.key.cycle);
    for (const Branch* b : tree->all_branches())
      for (size_t i = 0; i < b->basket_count(); ++i) {
        // The basket's key header, and its payload if compressed (stored payloads have no check).
        auto raw = file->source().read(b->basket_seek[i], static_cast<uint64_t>(b->basket_bytes[i]));
        io::BufferOrigin origin{name, "basket", b->basket_seek[i], false};
        io::Cursor cursor(raw, &origin);
        Key key = read_key_header(cursor);
        bool compressed = key.compressed();
        regions.emplace_back(b->basket_seek[i],
                             compressed ? raw.size() : static_cast<uint64_t>(key.key_length));
      }
  }
  std::mt19937_64 rng(20261125);
  const int flips = static_cast<int>(600 / kSampleDivisor);
  for (int i = 0; i < flips; ++i) {
    auto [start, length] = regions[rng() % regions.size()];
    if (length == 0 || start + length > bytes.size()) continue;
    uint64_t at = start + rng() % length;
    auto mutated = bytes;
    mutated[at] ^= std::byte(static_cast<uint8_t>(1 + rng() % 255));
    read_or_fail_cleanly("flip-" + name, std::move(mutated), original, fmt::format("flip at byte {}", at));
    if (::testing::Test::HasFailure()) break;
  }
}

// zlib (adler32) and LZ4 (xxhash64) baskets are checksummed, and header/key bytes are
// cross-checked, so any flip is caught or harmless. Uncompressed and ZSTD baskets carry no
// checksum in ROOT's format: see docs/rootio.md.
INSTANTIATE_TEST_SUITE_P(Files, ByteFlips,
                         ::testing::Values("uproot-HZZ-zlib.root", "uproot-HZZ-lz4.root",
                                           "uproot-sample-6.20.04-zlib.root"),
                         file_test_name);

TEST(BadNames, WrongTreeBranchCycleAndRangeNameWhatWasAsked) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto file = RootFile::open(kFiles + "uproot-HZZ.root");
  try {
    Tree::open(file, "evnts");
    FAIL();
  } catch (const NotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("no key 'evnts'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("uproot-HZZ.root"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tree::open(file, "events", 7), NotFoundError);
  auto tree = Tree::open(file, "events");
  try {
    tree->branch("Jet_Pz2");
    FAIL();
  } catch (const NotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("no branch 'Jet_Pz2'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tree->read(tree->branch("NJet"), 0, tree->entries() + 1), UsageError);
  EXPECT_THROW(Tree::open(file, "StreamerInfo"), NotFoundError);
}

}  // namespace
