// libFuzzer target: arbitrary bytes as a Parquet file — footer, schema, page headers, levels and
// values of every column of every row group. Only trigml::Error may escape the reader.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/error.hpp"
#include "parquet/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trigml;
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data),
                               reinterpret_cast<const std::byte*>(data) + size);
  try {
    auto reader =
        parquet::FileReader::open(std::make_unique<io::MemorySource>("fuzz.parquet", std::move(bytes)));
    parquet::ColumnData column;
    for (size_t g = 0; g < reader->row_groups() && g < 16; ++g)
      for (size_t c = 0; c < reader->columns().size() && c < 64; ++c) {
        try {
          column.clear(reader->columns()[c]);
          reader->read(g, c, column);
        } catch (const Error&) {
        }
      }
  } catch (const Error&) {
  }
  return 0;
}
