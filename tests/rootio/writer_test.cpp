// Unit tests of the ROOT writer: the block compression format (through the libraries'
// decompressors), the streamer record against ROOT's own bytes, the file and basket layout
// (walked key by key), determinism and atomicity.
#include "rootio/writer.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <lz4.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>

#include "common/corpus.hpp"
#include "common/error.hpp"
#include "io/cursor.hpp"
#include "rootio/compress.hpp"
#include "rootio/writer_buffer.hpp"
#include "rootio/writer_sample.hpp"
#include "rootio/writer_streamers.hpp"

namespace trigml::rootio {
namespace {

namespace fs = std::filesystem;

std::vector<std::byte> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& name)
      : path_(fs::temp_directory_path() / fmt::format("trigml-writer-{}-{}", ::getpid(), name)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDirectory() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  size_t file_count() const { return static_cast<size_t>(std::distance(fs::directory_iterator(path_), {})); }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------- compression block format

std::vector<std::byte> compressible_bytes(size_t size) {
  std::vector<std::byte> data(size);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<std::byte>((i / 7) % 251 ^ (i % 3));
  return data;
}

uint32_t little_endian_24(const std::byte* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16;
}

// Decodes ROOT blocks with the libraries' own decompressors, checking every header field.
std::vector<std::byte> decompress_blocks(std::span<const std::byte> blocks, Compression algorithm) {
  std::vector<std::byte> out;
  size_t position = 0;
  while (position < blocks.size()) {
    EXPECT_GE(blocks.size() - position, kBlockHeaderBytes);
    const std::byte* header = blocks.data() + position;
    const std::string tag{static_cast<char>(header[0]), static_cast<char>(header[1])};
    const uint32_t compressed = little_endian_24(header + 3);
    const uint32_t uncompressed = little_endian_24(header + 6);
    const std::byte* payload = header + kBlockHeaderBytes;
    EXPECT_LE(position + kBlockHeaderBytes + compressed, blocks.size());
    const size_t at = out.size();
    out.resize(at + uncompressed);
    switch (algorithm) {
      case Compression::Zlib: {
        EXPECT_EQ(tag, "ZL");
        EXPECT_EQ(static_cast<int>(header[2]), 8);
        libdeflate_decompressor* d = libdeflate_alloc_decompressor();
        size_t actual = 0;
        EXPECT_EQ(libdeflate_zlib_decompress(d, payload, compressed, out.data() + at, uncompressed, &actual),
                  LIBDEFLATE_SUCCESS);
        EXPECT_EQ(actual, uncompressed);
        libdeflate_free_decompressor(d);
        break;
      }
      case Compression::LZ4: {
        EXPECT_EQ(tag, "L4");
        EXPECT_EQ(static_cast<int>(header[2]), 1);
        uint64_t stored_checksum = 0;
        for (size_t i = 0; i < kLz4ChecksumBytes; ++i)
          stored_checksum = stored_checksum << 8 | static_cast<uint8_t>(payload[i]);
        const std::byte* lz4 = payload + kLz4ChecksumBytes;
        const size_t lz4_bytes = compressed - kLz4ChecksumBytes;
        EXPECT_EQ(stored_checksum, XXH64(lz4, lz4_bytes, 0));
        EXPECT_EQ(
            LZ4_decompress_safe(reinterpret_cast<const char*>(lz4), reinterpret_cast<char*>(out.data() + at),
                                static_cast<int>(lz4_bytes), static_cast<int>(uncompressed)),
            static_cast<int>(uncompressed));
        break;
      }
      case Compression::ZSTD:
        EXPECT_EQ(tag, "ZS");
        EXPECT_EQ(static_cast<int>(header[2]), 1);
        EXPECT_EQ(ZSTD_decompress(out.data() + at, uncompressed, payload, compressed), uncompressed);
        break;
      case Compression::None: ADD_FAILURE() << "no blocks without compression"; break;
    }
    position += kBlockHeaderBytes + compressed;
  }
  return out;
}

class BlockFormat : public ::testing::TestWithParam<Compression> {};

TEST_P(BlockFormat, RoundTripsThroughTheLibraryDecompressors) {
  for (size_t size : {size_t{300}, size_t{100000}, kMaxBlockBytes, kMaxBlockBytes + 12345}) {
    SCOPED_TRACE(size);
    const std::vector<std::byte> input = compressible_bytes(size);
    for (int level : {1, 5, 9}) {
      BlockCompressor compressor(GetParam(), level);
      std::vector<std::byte> blocks;
      ASSERT_TRUE(compressor.compress(input, blocks));
      EXPECT_LT(blocks.size(), input.size());
      EXPECT_EQ(decompress_blocks(blocks, GetParam()), input);
      if (size > kMaxBlockBytes) {
        EXPECT_EQ(little_endian_24(blocks.data() + 6), kMaxBlockBytes);
      }
    }
  }
}

TEST_P(BlockFormat, IncompressibleDataIsLeftAsItIs) {
  std::vector<std::byte> noise(5000);
  uint64_t state = 12345;
  for (auto& b : noise) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    b = static_cast<std::byte>(state >> 56);
  }
  BlockCompressor compressor(GetParam(), 1);
  std::vector<std::byte> blocks;
  EXPECT_FALSE(compressor.compress(noise, blocks));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, BlockFormat,
                         ::testing::Values(Compression::Zlib, Compression::LZ4, Compression::ZSTD));

TEST(BlockFormatSettings, LevelsAndSettings) {
  EXPECT_THROW(BlockCompressor(Compression::Zlib, 0), UsageError);
  EXPECT_THROW(BlockCompressor(Compression::ZSTD, 10), UsageError);
  BlockCompressor none(Compression::None, 0);
  std::vector<std::byte> out;
  EXPECT_FALSE(none.compress(compressible_bytes(1000), out));
  EXPECT_EQ(compression_setting(Compression::Zlib, 1), 101);
  EXPECT_EQ(compression_setting(Compression::LZ4, 4), 404);
  EXPECT_EQ(compression_setting(Compression::ZSTD, 5), 505);
  EXPECT_EQ(compression_setting(Compression::None, 0), 0);
}

// ---------------------------------------------------------------- streamer record

// ROOT 6.20 wrote this file without compression, so its streamer record can be compared bytes to
// bytes: the classes the writer describes come first, in ROOT's order, and must match exactly up
// to the first class ROOT lists that the writer does not need (TLeafS).
TEST(StreamerRecord, MatchesTheBytesRootWrites) {
  const fs::path path =
      fs::path(trigml::testing::corpus_dir()) / "files/uproot-sample-6.20.04-uncompressed.root";
  if (!fs::exists(path)) GTEST_SKIP() << "corpus file missing: " << path;
  const std::vector<std::byte> file = read_file(path);
  io::Cursor header(file, nullptr);
  header.seek(37);  // fSeekInfo in a small-file header
  const uint32_t seek_info = header.u32();
  const uint32_t nbytes_info = header.u32();
  io::Cursor key(file, nullptr, seek_info);
  ASSERT_EQ(key.i32(), static_cast<int32_t>(nbytes_info));
  key.skip(2);
  const uint32_t objlen = key.u32();
  key.skip(4);
  const uint16_t keylen = key.u16();
  ASSERT_EQ(objlen + keylen, nbytes_info) << "expected an uncompressed record";
  const auto root_record = std::span(file).subspan(seek_info + keylen, objlen);

  OutBuffer ours(keylen);  // the same reference base as ROOT's key
  write_streamer_info_list(ours);
  const auto our_record = ours.bytes();

  // Skip the TList's byte count and object count, which differ (ROOT lists more classes).
  constexpr size_t kListHeader = 4 + 2 + 10 + 1 + 4;
  EXPECT_TRUE(
      std::equal(root_record.begin() + 4, root_record.begin() + kListHeader - 4, our_record.begin() + 4));
  size_t same = kListHeader;
  while (same < our_record.size() && same < root_record.size() && our_record[same] == root_record[same])
    ++same;
  const std::string_view root_text(reinterpret_cast<const char*>(root_record.data()), root_record.size());
  const size_t tleafs = root_text.find("\x06TLeafS");
  ASSERT_NE(tleafs, std::string_view::npos);
  // The TLeafS object's byte count, class reference, TStreamerInfo and TNamed headers precede its name.
  EXPECT_GE(same, tleafs - (4 + 4 + 6 + 6 + 10)) << "first difference at byte " << same;
}

// ---------------------------------------------------------------- file layout, walked key by key

struct Key {
  uint64_t seek = 0;
  int32_t nbytes = 0;
  int16_t version = 0;
  int32_t objlen = 0;
  uint32_t datime = 0;
  uint16_t keylen = 0;
  uint64_t seek_key = 0;
  std::string class_name, name, title;
};

Key read_key(std::span<const std::byte> file, uint64_t seek) {
  io::Cursor c(file, nullptr, seek);
  Key k;
  k.seek = seek;
  k.nbytes = c.i32();
  k.version = c.i16();
  k.objlen = c.i32();
  k.datime = c.u32();
  k.keylen = c.u16();
  c.skip(2);
  EXPECT_GT(k.version, 1000) << "64-bit key expected";
  k.seek_key = c.u64();
  c.skip(8);
  k.class_name = c.tstring();
  k.name = c.tstring();
  k.title = c.tstring();
  return k;
}

struct FileHeader {
  int32_t version;
  int64_t end, seek_free, seek_info;
  int32_t nbytes_free, nbytes_name, nbytes_info, compress;
  std::array<std::byte, 16> uuid;
};

FileHeader read_header(std::span<const std::byte> file) {
  io::Cursor c(file, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file.data()), 4), "root");
  c.skip(4);
  FileHeader h{};
  h.version = c.i32();
  EXPECT_EQ(c.i32(), 100);
  h.end = c.i64();
  h.seek_free = c.i64();
  h.nbytes_free = c.i32();
  EXPECT_EQ(c.i32(), 1);
  h.nbytes_name = c.i32();
  EXPECT_EQ(c.u8(), 8);
  h.compress = c.i32();
  h.seek_info = c.i64();
  h.nbytes_info = c.i32();
  EXPECT_EQ(c.u16(), 1);
  std::memcpy(h.uuid.data(), c.bytes(16).data(), 16);
  return h;
}

// Every key from fBEGIN on, in file order: they must tile the file exactly up to fEND.
std::vector<Key> walk_keys(std::span<const std::byte> file) {
  const FileHeader header = read_header(file);
  EXPECT_EQ(static_cast<uint64_t>(header.end), file.size());
  std::vector<Key> keys;
  uint64_t seek = 100;
  while (seek < file.size()) {
    keys.push_back(read_key(file, seek));
    EXPECT_EQ(keys.back().seek_key, seek);
    EXPECT_GT(keys.back().nbytes, 0);
    if (keys.back().nbytes <= 0) break;
    seek += static_cast<uint64_t>(keys.back().nbytes);
  }
  EXPECT_EQ(seek, file.size());
  return keys;
}

TEST(FileLayout, KeysTileTheFileAndTheRecordsPointAtThem) {
  ScratchDirectory dir("layout");
  const fs::path path = dir.path() / "layout.root";
  WriterOptions options;
  options.compression = Compression::ZSTD;
  options.level = 3;
  auto writer = FileWriter::create(path, options);
  testing::write_sample_tree(writer->add_tree("events", ""), testing::make_sample_tree(300), 100);
  writer->add_named("Process", "ttbar");
  writer->close();

  const std::vector<std::byte> file = read_file(path);
  const FileHeader header = read_header(file);
  EXPECT_GE(header.version, 1000000);
  EXPECT_EQ(header.compress, 503);
  const std::vector<Key> keys = walk_keys(file);
  ASSERT_GE(keys.size(), 5u);
  EXPECT_EQ(keys.front().class_name, "TFile");
  EXPECT_EQ(keys.front().name, "layout.root");
  EXPECT_EQ(header.nbytes_name, keys.front().keylen + 1 + 11 + 1);
  auto find = [&](uint64_t seek) {
    return std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.seek == seek; });
  };
  const auto info = find(static_cast<uint64_t>(header.seek_info));
  ASSERT_NE(info, keys.end());
  EXPECT_EQ(info->class_name, "TList");
  EXPECT_EQ(info->name, "StreamerInfo");
  EXPECT_EQ(info->nbytes, header.nbytes_info);
  const auto free_segments = find(static_cast<uint64_t>(header.seek_free));
  ASSERT_NE(free_segments, keys.end());
  EXPECT_EQ(free_segments->nbytes, header.nbytes_free);
  EXPECT_EQ(&*free_segments, &keys.back());

  // The directory's keys list names the TNamed and the TTree, at the seeks where they are.
  io::Cursor directory(file, nullptr, 100 + static_cast<size_t>(header.nbytes_name));
  EXPECT_EQ(directory.i16(), 1005);
  directory.skip(8);
  const int32_t nbytes_keys = directory.i32();
  directory.skip(4 + 8 + 8);
  const auto keys_list = find(directory.u64());
  ASSERT_NE(keys_list, keys.end());
  EXPECT_EQ(keys_list->nbytes, nbytes_keys);
  io::Cursor list(file, nullptr, keys_list->seek + keys_list->keylen);
  ASSERT_EQ(list.i32(), 2);
  for (int i = 0; i < 2; ++i) {
    const Key listed = read_key(file, list.position());
    const auto actual = find(listed.seek_key);
    ASSERT_NE(actual, keys.end());
    EXPECT_EQ(actual->name, listed.name);
    EXPECT_EQ(actual->class_name, i == 0 ? "TNamed" : "TTree");
    list.skip(listed.keylen);
  }
}

// A jagged branch's baskets: data, then the entry-offset array (entries + 1, each entry's start
// from the key's first byte, a trailing 0), baskets ending at every cluster boundary.
TEST(BasketLayout, JaggedBasketsCarryEntryOffsetsAndEndAtClusterBoundaries) {
  ScratchDirectory dir("baskets");
  const fs::path path = dir.path() / "baskets.root";
  WriterOptions options;
  options.compression = Compression::None;
  options.level = 0;
  options.cluster_entries = 40;
  options.basket_bytes = 100;
  auto writer = FileWriter::create(path, options);
  TreeWriter& tree = writer->add_tree("t", "");
  const BranchId counter = tree.add_counter("Track_size");
  const BranchId pt = tree.add_jagged("Track.PT", LeafType::Float32, counter);
  const BranchId event = tree.add_scalar("Event", LeafType::Int64);
  std::vector<int32_t> counts;
  std::vector<float> values;
  std::vector<int64_t> numbers;
  for (int e = 0; e < 100; ++e) {
    counts.push_back(e % 5);
    numbers.push_back(e);
    for (int k = 0; k < e % 5; ++k) values.push_back(static_cast<float>(e) + 0.25f * static_cast<float>(k));
  }
  // Three uneven batches.
  size_t value_begin = 0;
  for (auto [first, last] : {std::pair{0, 33}, std::pair{33, 34}, std::pair{34, 100}}) {
    size_t value_count = 0;
    for (int e = first; e < last; ++e) value_count += static_cast<size_t>(counts[static_cast<size_t>(e)]);
    tree.fill(counter, std::span<const int32_t>(counts).subspan(static_cast<size_t>(first),
                                                                static_cast<size_t>(last - first)));
    tree.fill(pt, std::span<const float>(values).subspan(value_begin, value_count));
    tree.fill(event, std::span<const int64_t>(numbers).subspan(static_cast<size_t>(first),
                                                               static_cast<size_t>(last - first)));
    tree.end_batch(static_cast<uint64_t>(last - first));
    value_begin += value_count;
  }
  writer->close();

  const std::vector<std::byte> file = read_file(path);
  std::vector<float> read_values;
  std::vector<uint64_t> track_boundaries{0}, event_boundaries{0};
  for (const Key& key : walk_keys(file)) {
    if (key.class_name != "TBasket") continue;
    EXPECT_EQ(key.title, "t");
    io::Cursor c(file, nullptr, key.seek + key.keylen - 19);
    EXPECT_EQ(c.i16(), 3);
    c.skip(4);
    const int32_t nevbufsize = c.i32();
    const int32_t nevbuf = c.i32();
    const int32_t last = c.i32();
    EXPECT_EQ(c.u8(), 0);
    EXPECT_EQ(key.objlen, key.nbytes - key.keylen) << "uncompressed";
    if (key.name == "Event") {
      EXPECT_EQ(nevbufsize, 8);
      EXPECT_EQ(last, key.keylen + 8 * nevbuf);
      EXPECT_EQ(key.objlen, 8 * nevbuf) << "no entry offsets for fixed-size entries";
      event_boundaries.push_back(event_boundaries.back() + static_cast<uint64_t>(nevbuf));
      continue;
    }
    if (key.name != "Track.PT") continue;
    const uint64_t first_entry = track_boundaries.back();
    track_boundaries.push_back(first_entry + static_cast<uint64_t>(nevbuf));
    EXPECT_EQ(nevbufsize, 1000);
    io::Cursor offsets(file, nullptr, key.seek + static_cast<uint64_t>(last));
    ASSERT_EQ(offsets.i32(), nevbuf + 1);
    int32_t expected_offset = key.keylen;
    for (int32_t e = 0; e < nevbuf; ++e) {
      EXPECT_EQ(offsets.i32(), expected_offset) << "entry " << first_entry + static_cast<uint64_t>(e);
      expected_offset += 4 * counts[first_entry + static_cast<uint64_t>(e)];
    }
    EXPECT_EQ(offsets.i32(), 0);
    EXPECT_EQ(expected_offset, last);
    EXPECT_EQ(offsets.position(), key.seek + static_cast<uint64_t>(key.nbytes));
    io::Cursor data(file, nullptr, key.seek + key.keylen);
    while (data.position() < key.seek + static_cast<uint64_t>(last)) read_values.push_back(data.f32());
  }
  EXPECT_EQ(read_values, values);
  for (uint64_t boundary : {0, 40, 80, 100}) {
    EXPECT_NE(std::find(track_boundaries.begin(), track_boundaries.end(), boundary), track_boundaries.end())
        << boundary;
    EXPECT_NE(std::find(event_boundaries.begin(), event_boundaries.end(), boundary), event_boundaries.end())
        << boundary;
  }
  EXPECT_GT(track_boundaries.size(), 4u) << "basket_bytes splits baskets inside clusters";
  EXPECT_EQ(track_boundaries.back(), 100u);
  EXPECT_EQ(event_boundaries.back(), 100u);
}

// ---------------------------------------------------------------- determinism and atomicity

std::vector<std::byte> write_sample(const fs::path& path, uint64_t seed) {
  WriterOptions options;
  options.seed = seed;
  auto writer = FileWriter::create(path, options);
  writer->add_named("Process", "ttbar");
  testing::write_sample_tree(writer->add_tree("events", ""), testing::make_sample_tree(500), 123);
  writer->close();
  return read_file(path);
}

TEST(Determinism, SameSeedSameBytesOtherSeedOtherUuidAndDates) {
  ScratchDirectory dir("determinism");
  const auto first = write_sample(dir.path() / "a.root", 7);
  const auto again = write_sample(dir.path() / "a.root", 7);
  const auto other = write_sample(dir.path() / "a.root", 8);
  EXPECT_EQ(first, again);
  ASSERT_EQ(first.size(), other.size());
  EXPECT_NE(first, other);
  EXPECT_NE(read_header(first).uuid, read_header(other).uuid);
  EXPECT_NE(walk_keys(first)[1].datime, walk_keys(other)[1].datime);
  // Only the UUIDs and dates differ.
  size_t differing = 0;
  for (size_t i = 0; i < first.size(); ++i) differing += first[i] != other[i];
  EXPECT_LT(differing, 60u + 4u * walk_keys(first).size());
}

TEST(Atomicity, NothingAppearsWithoutClose) {
  ScratchDirectory dir("atomic");
  const fs::path path = dir.path() / "out.root";
  try {
    auto writer = FileWriter::create(path);
    TreeWriter& tree = writer->add_tree("t", "");
    const BranchId x = tree.add_scalar("x", LeafType::Float32);
    const std::vector<float> values(1000, 1.5f);
    tree.fill(x, std::span(values));
    tree.end_batch(values.size());
    throw std::runtime_error("interrupted");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(dir.file_count(), 0u) << "the temporary file must be gone too";
}

TEST(Atomicity, AFailedBatchLeavesNoFile) {
  ScratchDirectory dir("atomic-usage");
  const fs::path path = dir.path() / "out.root";
  try {
    auto writer = FileWriter::create(path);
    TreeWriter& tree = writer->add_tree("t", "");
    const BranchId n = tree.add_counter("Jet_size");
    const BranchId pt = tree.add_jagged("Jet.PT", LeafType::Float32, n);
    const std::vector<int32_t> counts{2, 1};
    const std::vector<float> values{1, 2};  // one short
    tree.fill(n, std::span(counts));
    tree.fill(pt, std::span(values));
    tree.end_batch(2);
    FAIL() << "end_batch accepted a wrong value count";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("Jet.PT"), std::string::npos) << error.what();
  }
  EXPECT_EQ(dir.file_count(), 0u);
}

TEST(Atomicity, BadPathIsAnIoErrorNamingIt) {
  const fs::path path = "/nonexistent-trigml-dir/sub/out.root";
  try {
    FileWriter::create(path);
    FAIL() << "no error";
  } catch (const IoError& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  }
}

TEST(Usage, MistakesAreUsageErrorsNamingTheBranch) {
  ScratchDirectory dir("usage");
  auto writer = FileWriter::create(dir.path() / "u.root");
  TreeWriter& tree = writer->add_tree("t", "");
  const BranchId x = tree.add_scalar("Electron.PT", LeafType::Float32);
  const std::vector<double> doubles{1.0};
  try {
    tree.fill(x, std::span(doubles));
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("Electron.PT"), std::string::npos) << error.what();
  }
  EXPECT_THROW(tree.add_jagged("y", LeafType::Float32, x), UsageError);  // x is not a counter
  EXPECT_THROW(tree.add_scalar("Electron.PT", LeafType::Int32), UsageError);
  EXPECT_THROW(writer->add_tree("t", ""), UsageError);
  EXPECT_THROW(tree.add_fixed_array("z", LeafType::Int32, 0), UsageError);
}

}  // namespace
}  // namespace trigml::rootio
