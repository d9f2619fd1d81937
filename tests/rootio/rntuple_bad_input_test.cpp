// Bad RNTuple input gives a typed error naming the file and what was expected, never a crash,
// a hang or silently wrong metadata: truncated files, flipped bytes, and envelopes edited by the
// test (wrong checksum, unknown column type, a page outside the file, a truncated envelope).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/corpus.hpp"
#include "common/error.hpp"
#include "io/source.hpp"
#include "rootio/decompress.hpp"
#include "rootio/file.hpp"
#include "rootio/rntuple.hpp"
#include "rootio/rntuple_page.hpp"

using namespace trigml;
using namespace trigml::rootio;

namespace {

const std::string kFiles = trigml::testing::corpus_dir() + "/files/rntuple/";

const std::vector<std::string> kCorpus = {
    "test_int_float_rntuple_v1-0-0-0.root", "test_1jag_int_float_rntuple_v1-0-0-0.root",
    "test_int_vfloat_tlv_vtlv_rntuple_v1-0-0-0.root", "test_stl_containers_rntuple_v1-0-0-0.root"};

std::vector<std::byte> load(const std::string& name) {
  std::ifstream in(kFiles + name, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

std::shared_ptr<RNTuple> open_bytes(const std::string& name, std::vector<std::byte> bytes) {
  return RNTuple::open(RootFile::open(std::make_unique<io::MemorySource>(name, std::move(bytes))), "ntuple");
}

// Every top-level field over every entry, as dump --json prints it.
std::string fingerprint(const RNTuple& ntuple) {
  std::string out;
  auto fields = ntuple.top_fields();
  auto columns = ntuple.read(fields, 0, ntuple.entries());
  for (const auto& column : columns)
    for (uint64_t e = 0; e < column.entries; ++e) out += to_json(column.entry(e)).dump();
  return out;
}

enum class Outcome { Same, Different, Failed };

Outcome read_or_fail_cleanly(const std::string& name, std::vector<std::byte> bytes,
                             const std::string& original, const std::string& what) {
  try {
    auto ntuple = open_bytes(name, std::move(bytes));
    return fingerprint(*ntuple) == original ? Outcome::Same : Outcome::Different;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << what << ": " << e.what();
    return Outcome::Failed;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": a " << typeid(e).name() << " escaped instead of a trigml error: " << e.what();
    return Outcome::Failed;
  }
}

template <typename T>
void put_little_endian(std::vector<std::byte>& bytes, size_t at, T value) {
  ASSERT_LE(at + sizeof(T), bytes.size());
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

void put_big_endian(std::vector<std::byte>& bytes, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = std::byte(static_cast<uint8_t>(value >> (56 - 8 * i)));
}

// An envelope's checksum recomputed after an edit.
void seal(std::vector<std::byte>& envelope) {
  put_little_endian(envelope, envelope.size() - 8,
                    rntuple::checksum(std::span<const std::byte>(envelope).first(envelope.size() - 8)));
}

std::vector<std::byte> envelope(const RootFile& file, uint64_t seek, uint64_t nbytes, uint64_t length) {
  auto stored = file.source().read(seek, nbytes);
  if (nbytes == length) return stored;
  std::vector<std::byte> out(length);
  io::BufferOrigin origin{file.name(), "envelope", seek, false};
  decompress(stored, out, origin);
  return out;
}

struct Envelopes {
  std::vector<std::byte> header, footer, page_list;
};

// The file with its RNTuple's envelopes replaced by uncompressed, edited copies appended at its
// end, the footer and the anchor pointing at them. With `reseal`, the checksums (and the header
// checksum that footer and page list repeat) are recomputed, so that only the edit is wrong.
std::vector<std::byte> rewritten(const std::string& name, const std::function<void(Envelopes&)>& edit,
                                 bool reseal = true) {
  auto bytes = load(name);
  auto file = RootFile::open(kFiles + name);
  auto ntuple = RNTuple::open(file, "ntuple");
  const auto& a = ntuple->anchor();
  const auto& groups = ntuple->description().groups;
  EXPECT_EQ(groups.size(), 1u);
  Envelopes e{
      envelope(*file, a.seek_header, a.nbytes_header, a.len_header),
      envelope(*file, a.seek_footer, a.nbytes_footer, a.len_footer),
      envelope(*file, groups[0].page_list.offset, groups[0].page_list.size, groups[0].page_list_length)};
  edit(e);
  if (reseal) {
    seal(e.header);
    uint64_t header_checksum = rntuple::envelope_checksum(e.header);
    put_little_endian(e.footer, 16, header_checksum);  // after the preamble and the feature flags
    put_little_endian(e.page_list, 8, header_checksum);
    seal(e.page_list);
  }
  auto append = [&bytes](const std::vector<std::byte>& block) {
    uint64_t at = bytes.size();
    bytes.insert(bytes.end(), block.begin(), block.end());
    return at;
  };
  uint64_t page_list_at = append(e.page_list);
  // The only cluster group's page-list link ends the footer, before its checksum.
  size_t link = e.footer.size() - 8 - 20;
  put_little_endian<uint64_t>(e.footer, link, e.page_list.size());
  put_little_endian<int32_t>(e.footer, link + 8, static_cast<int32_t>(e.page_list.size()));
  put_little_endian<uint64_t>(e.footer, link + 12, page_list_at);
  if (reseal) seal(e.footer);
  uint64_t header_at = append(e.header), footer_at = append(e.footer);

  Key key = file->find_key("ntuple").key;
  EXPECT_FALSE(key.compressed());
  size_t fields =
      static_cast<size_t>(key.seek_key) + static_cast<size_t>(key.key_length) + 6;  // byte count, version
  put_big_endian(bytes, fields + 8, header_at);
  put_big_endian(bytes, fields + 16, e.header.size());
  put_big_endian(bytes, fields + 24, e.header.size());
  put_big_endian(bytes, fields + 32, footer_at);
  put_big_endian(bytes, fields + 40, e.footer.size());
  put_big_endian(bytes, fields + 48, e.footer.size());
  put_big_endian(bytes, fields + 64,
                 rntuple::checksum(std::span<const std::byte>(bytes).subspan(fields, 64)));
  return bytes;
}

// Where `pattern` occurs in `bytes`: exactly once, or the test fails.
size_t find_once(const std::vector<std::byte>& bytes, const std::vector<std::byte>& pattern) {
  auto it = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
  EXPECT_NE(it, bytes.end());
  EXPECT_EQ(std::search(it + 1, bytes.end(), pattern.begin(), pattern.end()), bytes.end());
  return static_cast<size_t>(it - bytes.begin());
}

template <typename T>
std::vector<std::byte> little_endian(T value) {
  std::vector<std::byte> out(sizeof(T));
  std::memcpy(out.data(), &value, sizeof(T));
  return out;
}

template <typename E>
std::string error_of(const std::string& name, std::vector<std::byte> bytes) {
  try {
    fingerprint(*open_bytes(name, std::move(bytes)));
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("another error: ") + e.what();
  }
  return "no error";
}

const std::string kSmall = "test_int_float_rntuple_v1-0-0-0.root";

// A page of no elements may have no bytes (a null span): it appends nothing, for every column type
// (the sanitizer build catches a memcpy from the null pointer, as the RNTuple fuzzer once did).
TEST(RNTuplePage, EmptyPageAppendsNothing) {
  for (uint16_t type = 0; type <= static_cast<uint16_t>(rntuple::ColumnType::SplitIndex64); ++type) {
    rntuple::ColumnDescription column;
    column.type = static_cast<rntuple::ColumnType>(type);
    std::optional<rntuple::ColumnEncoding> encoding;
    for (uint16_t bits : {1, 8, 16, 32, 64, 96}) {  // the one width each type is stored with
      column.bits_on_storage = bits;
      try {
        encoding = rntuple::column_encoding(column, {"test"});
        break;
      } catch (const FormatError&) {
      }
    }
    ASSERT_TRUE(encoding) << "column type " << type;
    rntuple::ColumnElements out;
    rntuple::decode_page(*encoding, {}, 0, out);
    EXPECT_TRUE(out.values.empty() && out.indices.empty() && out.tags.empty()) << "column type " << type;
  }
}

TEST(RNTupleEdited, UnchangedEnvelopesReadTheSame) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  for (const auto& name : kCorpus) {
    std::string original = fingerprint(*RNTuple::open(RootFile::open(kFiles + name), "ntuple"));
    EXPECT_EQ(fingerprint(*open_bytes(name, rewritten(name, [](Envelopes&) {}))), original) << name;
  }
}

TEST(RNTupleEdited, WrongEnvelopeChecksumIsAFormatError) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto bytes = rewritten(
      kSmall, [](Envelopes& e) { e.header[40] ^= std::byte{0x01}; }, false);
  std::string message = error_of<FormatError>(kSmall, bytes);
  EXPECT_NE(message.find("envelope checksum"), std::string::npos) << message;
  EXPECT_NE(message.find("header"), std::string::npos) << message;
}

TEST(RNTupleEdited, TruncatedEnvelopeIsAFormatError) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto bytes =
      rewritten(kSmall, [](Envelopes& e) { e.footer.erase(e.footer.begin() + 30, e.footer.begin() + 40); });
  std::string message = error_of<FormatError>(kSmall, bytes);
  EXPECT_NE(message.find("envelope says it is 148 bytes long, its locator 138"), std::string::npos)
      << message;
}

TEST(RNTupleEdited, UnknownColumnTypeIsUnsupportedNamingTheField) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto bytes = rewritten(kSmall, [](Envelopes& e) {
    // Column 0: SplitInt32 (0x13), 32 bits, field 0, no flags, representation 0.
    std::vector<std::byte> column = {std::byte{0x13}, std::byte{0}, std::byte{32}, std::byte{0}};
    column.resize(12, std::byte{0});
    e.header[find_once(e.header, column)] = std::byte{0x42};
  });
  std::string message = error_of<UnsupportedError>(kSmall, bytes);
  EXPECT_NE(message.find("unknown column type 0x42"), std::string::npos) << message;
  EXPECT_NE(message.find("field 'one_integers'"), std::string::npos) << message;
}

TEST(RNTupleEdited, PageOutsideTheFileIsAFormatError) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto ntuple = RNTuple::open(RootFile::open(kFiles + kSmall), "ntuple");
  const auto& page = ntuple->description().clusters.at(0).columns.at(1).pages.at(0);
  auto bytes = rewritten(kSmall, [&](Envelopes& e) {
    auto locator = little_endian(static_cast<int32_t>(page.locator.size));
    auto offset = little_endian(page.locator.offset);
    locator.insert(locator.end(), offset.begin(), offset.end());
    put_little_endian<uint64_t>(e.page_list, find_once(e.page_list, locator) + 4, uint64_t{1} << 40);
  });
  std::string message = error_of<FormatError>(kSmall, bytes);
  EXPECT_NE(message.find("lies outside the"), std::string::npos) << message;
  EXPECT_NE(message.find("field 'two_floats'"), std::string::npos) << message;
}

class RNTupleCorruption : public ::testing::TestWithParam<std::string> {};

TEST_P(RNTupleCorruption, EveryPrefixFailsCleanly) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto bytes = load(GetParam());
  std::string original = fingerprint(*RNTuple::open(RootFile::open(kFiles + GetParam()), "ntuple"));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    // The anchor comes last in the file: no prefix holds a whole RNTuple.
    EXPECT_EQ(
        read_or_fail_cleanly("cut-" + GetParam(), std::move(prefix), original, fmt::format("prefix {}", cut)),
        Outcome::Failed)
        << "prefix " << cut;
    if (::testing::Test::HasFailure()) break;
  }
}

// Anchor, header, footer and page list are checksummed: a flipped byte there is an error (or,
// in bytes the reader skips, harmless). Pages are checksummed too in these files.
TEST_P(RNTupleCorruption, EveryByteFlipInTheRNTupleFailsCleanly) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  const std::string name = GetParam();
  auto bytes = load(name);
  auto file = RootFile::open(kFiles + name);
  auto ntuple = RNTuple::open(file, "ntuple");
  std::string original = fingerprint(*ntuple);
  const auto& a = ntuple->anchor();
  Key key = file->find_key("ntuple").key;
  std::vector<std::pair<uint64_t, uint64_t>> regions = {
      {key.seek_key + static_cast<uint64_t>(key.key_length), static_cast<uint64_t>(key.object_length)},
      {a.seek_header, a.nbytes_header},
      {a.seek_footer, a.nbytes_footer}};
  for (const auto& group : ntuple->description().groups)
    regions.emplace_back(group.page_list.offset, group.page_list.size);
  for (const auto& cluster : ntuple->description().clusters)
    for (const auto& column : cluster.columns)
      for (const auto& page : column.pages)
        regions.emplace_back(page.locator.offset, page.locator.size + (page.has_checksum ? 8 : 0));
  size_t flips = 0;
  for (const auto& [start, length] : regions)
    for (uint64_t at = start; at < start + length; ++at) {
      auto mutated = bytes;
      mutated[at] ^= std::byte{0x10};
      Outcome outcome =
          read_or_fail_cleanly("flip-" + name, std::move(mutated), original, fmt::format("flip at {}", at));
      EXPECT_NE(outcome, Outcome::Different) << "flip at byte " << at << " changed the values silently";
      ++flips;
      if (::testing::Test::HasFailure()) return;
    }
  EXPECT_GT(flips, 100u);
}

std::string file_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Files, RNTupleCorruption, ::testing::ValuesIn(kCorpus), file_test_name);

}  // namespace
