#include "common/atomic_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"

namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "trigml-tests";
  fs::create_directories(dir);
  fs::path p = dir / name;
  fs::remove(p);
  return p;
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

TEST(AtomicFile, FileAppearsOnlyOnCommit) {
  fs::path target = scratch("atomic.bin");
  {
    trigml::AtomicFile out(target);
    out.write(as_bytes("hello "));
    out.write(as_bytes("world"));
    out.write_at(0, as_bytes("H"));
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(fs::exists(out.temporary_path()));
    out.commit();
  }
  std::ifstream in(target);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "Hello world");
}

TEST(AtomicFile, AbandonedOutputLeavesNothing) {
  fs::path target = scratch("abandoned.bin");
  fs::path temporary;
  {
    trigml::AtomicFile out(target);
    temporary = out.temporary_path();
    out.write(as_bytes("partial"));
  }
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(temporary));
}

TEST(AtomicFile, UnwritableDirectoryIsAnIoError) {
  EXPECT_THROW(trigml::AtomicFile("/nonexistent-dir/x.bin"), trigml::IoError);
}

TEST(ErrorContext, MessageNamesFileObjectAndOffset) {
  trigml::FormatError e("bad magic", {"f.root", 12, "key 'events;1'"});
  EXPECT_STREQ(e.what(), "f.root: key 'events;1': offset 12: bad magic");
  EXPECT_EQ(e.detail(), "bad magic");
}

}  // namespace
