// Parquet's RLE / bit-packed hybrid encoding, used for repetition and definition levels and for
// dictionary indices. Both directions work a run at a time: levels of nested lists come in long
// runs of equal values (19 "continue the inner list" levels per particle row, one definition
// level for a whole page), so per-value work is what the encoder and the run reader avoid.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "io/cursor.hpp"

namespace trigml::parquet {

inline int bit_width(uint32_t max_value) {
  int bits = 0;
  while (max_value >> bits) ++bits;
  return bits;
}

// Streaming encoder: add() runs of equal values, then finish() appends the encoding. Runs of 8
// or more become RLE runs (after topping up a pending bit-packed group of 8 from the run);
// shorter ones are bit-packed, in runs of at most 63 groups so that their header is one byte
// written when the run closes.
class HybridEncoder {
 public:
  explicit HybridEncoder(int bits = 0) : bits_(bits) {}
  void reset(int bits);
  void add(uint32_t value, uint64_t count);
  // The repetition levels of `lists` lists of `width` values each: per list `first` (for the first
  // list) or `later`, then `inner` width - 1 times. The same as add() for each run, but once
  // the runs settle into their pattern (two RLE runs a list) the pattern's bytes are written
  // directly.
  void add_lists(uint32_t first, uint32_t later, uint32_t inner, uint64_t lists, uint64_t width);
  // Appends the encoding of everything added since the last finish() to `out` and starts afresh.
  void finish(std::vector<std::byte>& out);
  // Bytes encoded so far (a lower bound of what finish() appends).
  size_t encoded_bytes() const { return bytes_.size(); }

 private:
  void commit_run();
  void put_rle(uint32_t value, uint64_t length);
  void push_packed(uint32_t value, uint64_t count);
  void flush_group();
  void close_packed_run();

  int bits_;
  std::vector<std::byte> bytes_;
  uint32_t run_value_ = 0;
  uint64_t run_length_ = 0;
  uint32_t held_value_ = 0;  // a short run waiting for its neighbour (see commit_run)
  uint64_t held_length_ = 0;
  uint32_t group_[8] = {};
  int group_size_ = 0;
  size_t packed_header_at_ = 0;
  int packed_groups_ = 0;  // groups in the open bit-packed run (0: none open)
};

// Appends the encoding of `values` (each < 2^bits) to `out`.
void encode_hybrid(std::span<const uint16_t> values, int bits, std::vector<std::byte>& out);

// Reads `count` values of a hybrid-encoded stream as runs of equal values: an RLE run whole, a
// bit-packed run a group of 8 at a time, split where neighbouring values differ. With bits = 0
// every value is 0 and nothing is read. FormatError via the cursor on bad input.
class HybridRunReader {
 public:
  HybridRunReader(io::Cursor in, int bits, size_t count);
  size_t remaining() const { return remaining_; }
  // The next run: its value and length (at least 1, at most remaining()). Call only while
  // remaining() > 0.
  void next(uint32_t& value, size_t& length) {
    // Inline, the commonest run of levels: RLE, shorter than 64 values of one byte each (so a
    // one-byte header, even and not zero, then the value), with no bit-packed group under way.
    if (group_position_ == group_size_ && packed_groups_left_ == 0 && bits_ > 0 && bits_ <= 8 &&
        in_.remaining() >= 2) {
      const std::byte* at = in_.data().data() + in_.position();
      const auto header = static_cast<uint8_t>(at[0]);
      if ((header & 0x81) == 0 && header != 0) {
        value = static_cast<uint8_t>(at[1]);
        length = std::min<size_t>(header >> 1, remaining_);
        remaining_ -= length;
        in_.skip(2);
        return;
      }
    }
    next_run(value, length);
  }

 private:
  void next_run(uint32_t& value, size_t& length);
  void unpack_group();

  io::Cursor in_;
  int bits_;
  size_t remaining_;
  uint64_t packed_groups_left_ = 0;
  const std::byte* packed_ = nullptr;
  uint32_t group_[8] = {};
  int group_size_ = 0, group_position_ = 0;
};

// Decodes `count` values from `in` (exactly its bytes); FormatError via the cursor on bad input.
void decode_hybrid(io::Cursor& in, int bits, size_t count, std::vector<uint32_t>& out);

}  // namespace trigml::parquet
