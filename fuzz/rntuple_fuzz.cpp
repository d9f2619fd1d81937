// libFuzzer target: arbitrary bytes as RNTuple header, footer and page-list envelopes, then as a
// page of every column the header describes. The target seals each envelope (type, length and
// XXH3 checksum, the header checksum repeated in footer and page list) so that the fuzzer reaches
// the parsers behind the checks. Only trigml::Error may escape.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "common/error.hpp"
#include "rootio/rntuple_format.hpp"
#include "rootio/rntuple_page.hpp"

namespace {

using namespace trigml::rootio::rntuple;

std::vector<std::byte> sealed(std::span<const std::byte> payload, EnvelopeType type,
                              const uint64_t* header_checksum) {
  std::vector<std::byte> envelope(8 + payload.size() + 8);
  uint64_t preamble = (uint64_t{envelope.size()} << 16) | static_cast<uint16_t>(type);
  std::memcpy(envelope.data(), &preamble, 8);
  if (!payload.empty()) std::memcpy(envelope.data() + 8, payload.data(), payload.size());
  if (header_checksum != nullptr && payload.size() >= 16) {
    size_t at = type == EnvelopeType::Footer ? 16 : 8;  // footers start with feature flags
    std::memcpy(envelope.data() + at, header_checksum, 8);
  }
  uint64_t sum = checksum(std::span<const std::byte>(envelope).first(envelope.size() - 8));
  std::memcpy(envelope.data() + envelope.size() - 8, &sum, 8);
  return envelope;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  size_t rest = size - 4;
  size_t header_size = (static_cast<size_t>(data[0]) | static_cast<size_t>(data[1]) << 8) % (rest + 1);
  size_t footer_size =
      (static_cast<size_t>(data[2]) | static_cast<size_t>(data[3]) << 8) % (rest - header_size + 1);
  auto header_bytes = input.subspan(4, header_size);
  auto footer_bytes = input.subspan(4 + header_size, footer_size);
  auto tail = input.subspan(4 + header_size + footer_size);

  trigml::io::BufferOrigin origin{"fuzz", "envelope", 0, false};
  Description description;
  try {
    auto header = sealed(header_bytes, EnvelopeType::Header, nullptr);
    parse_header(header, description, origin);
    auto footer = sealed(footer_bytes, EnvelopeType::Footer, &description.header_checksum);
    parse_footer(footer, description, origin);
    auto page_list = sealed(tail, EnvelopeType::PageList, &description.header_checksum);
    ClusterGroup group;
    group.clusters = description.groups.empty() ? 0 : description.groups.front().clusters;
    parse_page_list(page_list, group, description, origin);
  } catch (const trigml::Error&) {
  }
  // The remaining bytes as one page of each column described, however far the parsing got.
  for (const auto& column : description.columns) {
    try {
      ColumnEncoding encoding = column_encoding(column, {"fuzz"});
      uint64_t elements = std::min<uint64_t>(tail.size() * 8 / encoding.stored_bits, 4096);
      ColumnElements out;
      decode_page(encoding, tail.first(page_bytes(encoding, elements)), static_cast<uint32_t>(elements), out);
    } catch (const trigml::Error&) {
    }
  }
  return 0;
}
