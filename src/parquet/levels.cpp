#include "parquet/levels.hpp"

#include <algorithm>
#include <cstring>

namespace trigml::parquet {

namespace {

void put_varint(std::vector<std::byte>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(std::byte(static_cast<uint8_t>(v | 0x80)));
    v >>= 7;
  }
  out.push_back(std::byte(static_cast<uint8_t>(v)));
}

// A bit-packed run's header is written as one byte when the run closes: at most 63 groups.
constexpr int kMaxPackedGroups = 63;

}  // namespace

void HybridEncoder::reset(int bits) {
  bits_ = bits;
  bytes_.clear();
  run_length_ = 0;
  held_length_ = 0;
  group_size_ = 0;
  packed_groups_ = 0;
}

void HybridEncoder::add(uint32_t value, uint64_t count) {
  if (count == 0 || bits_ == 0) return;
  if (run_length_ > 0 && value == run_value_) {
    run_length_ += count;
    return;
  }
  commit_run();
  run_value_ = value;
  run_length_ = count;
}

void HybridEncoder::add_lists(uint32_t first, uint32_t later, uint32_t inner, uint64_t lists,
                              uint64_t width) {
  if (lists == 0 || width == 0) return;
  auto add_list = [&](uint64_t k) { add(k == 0 ? first : later, 1), add(inner, width - 1); };
  uint64_t done = 0;
  for (; done < std::min<uint64_t>(lists, 2); ++done) add_list(done);
  // Settled: list `done - 1` waits as a held (later, 1) and an open (inner, width - 1), with no
  // bit-packed group pending, so each further list commits the one before it as two one-byte-
  // header RLE runs.
  const bool settled = held_length_ == 1 && held_value_ == later && run_length_ == width - 1 &&
                       run_value_ == inner && later != inner && group_size_ == 0 && packed_groups_ == 0;
  if (settled && width - 1 >= 8 && width - 1 < 64 && bits_ <= 8 && done < lists) {
    const std::byte pattern[4] = {std::byte{2}, std::byte(static_cast<uint8_t>(later)),
                                  std::byte(static_cast<uint8_t>((width - 1) << 1)),
                                  std::byte(static_cast<uint8_t>(inner))};
    const size_t at = bytes_.size();
    bytes_.resize(at + 4 * (lists - done));
    for (size_t i = at; i < bytes_.size(); i += 4) std::memcpy(&bytes_[i], pattern, 4);
    return;
  }
  for (; done < lists; ++done) add_list(done);
}

// Runs of 8 or more are RLE runs. A shorter run is held until the next run is known: next to a
// long run it is an RLE run of its own (a list's "new list" level between runs of "same list",
// as in every particle row: two RLE runs each, no bit-packed group to unpack), while short runs
// in a row are bit-packed.
void HybridEncoder::commit_run() {
  uint64_t length = run_length_;
  run_length_ = 0;
  if (length == 0) return;
  if (held_length_ > 0) {
    if (length >= 8 && group_size_ == 0)
      put_rle(held_value_, held_length_);
    else
      push_packed(held_value_, held_length_);
    held_length_ = 0;
  }
  if (length < 8 && group_size_ == 0) {
    held_value_ = run_value_, held_length_ = length;
    return;
  }
  // Bit-packed groups must be complete except at the very end: top up a pending group first.
  if (group_size_ > 0) {
    uint64_t take = std::min<uint64_t>(length, static_cast<uint64_t>(8 - group_size_));
    push_packed(run_value_, take);
    length -= take;
  }
  if (length >= 8)
    put_rle(run_value_, length);
  else
    push_packed(run_value_, length);
}

void HybridEncoder::put_rle(uint32_t value, uint64_t length) {
  close_packed_run();
  put_varint(bytes_, length << 1);
  for (int b = 0; b < (bits_ + 7) / 8; ++b)
    bytes_.push_back(std::byte(static_cast<uint8_t>(value >> (8 * b))));
}

void HybridEncoder::push_packed(uint32_t value, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    group_[group_size_++] = value;
    if (group_size_ == 8) flush_group();
  }
}

void HybridEncoder::flush_group() {
  if (packed_groups_ == 0) {
    packed_header_at_ = bytes_.size();
    bytes_.push_back(std::byte{0});  // patched by close_packed_run()
  }
  uint64_t buffer = 0;
  int filled = 0;
  for (int i = 0; i < 8; ++i) {
    buffer |= static_cast<uint64_t>(i < group_size_ ? group_[i] : 0) << filled;
    filled += bits_;
    while (filled >= 8) {
      bytes_.push_back(std::byte(static_cast<uint8_t>(buffer)));
      buffer >>= 8;
      filled -= 8;
    }
  }
  group_size_ = 0;
  if (++packed_groups_ == kMaxPackedGroups) close_packed_run();
}

void HybridEncoder::close_packed_run() {
  if (packed_groups_ == 0) return;
  bytes_[packed_header_at_] = std::byte(static_cast<uint8_t>((packed_groups_ << 1) | 1));
  packed_groups_ = 0;
}

void HybridEncoder::finish(std::vector<std::byte>& out) {
  commit_run();
  if (held_length_ > 0) {
    put_rle(held_value_, held_length_);
    held_length_ = 0;
  }
  if (group_size_ > 0) flush_group();  // the last group may be padded with zeros
  close_packed_run();
  out.insert(out.end(), bytes_.begin(), bytes_.end());
  bytes_.clear();
}

void encode_hybrid(std::span<const uint16_t> values, int bits, std::vector<std::byte>& out) {
  HybridEncoder encoder(bits);
  for (size_t i = 0; i < values.size();) {
    size_t run = 1;
    while (i + run < values.size() && values[i + run] == values[i]) ++run;
    encoder.add(values[i], run);
    i += run;
  }
  encoder.finish(out);
}

HybridRunReader::HybridRunReader(io::Cursor in, int bits, size_t count)
    : in_(in), bits_(bits), remaining_(count) {
  if (bits > 32) in_.fail(fmt::format("level or index bit width {} is impossible", bits));
}

void HybridRunReader::unpack_group() {
  const uint64_t mask = bits_ == 32 ? 0xFFFFFFFFull : (uint64_t{1} << bits_) - 1;
  uint64_t buffer = 0;
  int filled = 0;
  const std::byte* data = packed_;
  for (int v = 0; v < 8; ++v) {
    while (filled < bits_) {
      buffer |= static_cast<uint64_t>(*data++) << filled;
      filled += 8;
    }
    group_[v] = static_cast<uint32_t>(buffer & mask);
    buffer >>= bits_;
    filled -= bits_;
  }
  packed_ += bits_;
  --packed_groups_left_;
  group_size_ = static_cast<int>(std::min<size_t>(8, remaining_));
  group_position_ = 0;
}

void HybridRunReader::next_run(uint32_t& value, size_t& length) {
  if (bits_ == 0) {
    value = 0;
    length = remaining_;
    remaining_ = 0;
    return;
  }
  while (group_position_ == group_size_) {
    if (packed_groups_left_ > 0) {
      unpack_group();
      break;
    }
    uint64_t header = 0;
    for (int shift = 0;; shift += 7) {
      if (shift > 63) in_.fail("run header varint is too long");
      uint8_t b = in_.u8();
      header |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (header & 1) {
      uint64_t groups = header >> 1;
      if (groups > in_.remaining() / static_cast<uint64_t>(bits_))
        in_.fail(fmt::format("bit-packed run of {} groups runs past the end", groups));
      packed_ = in_.bytes(static_cast<size_t>(groups) * static_cast<size_t>(bits_)).data();
      packed_groups_left_ = groups;
      continue;
    }
    uint64_t run = header >> 1;
    if (run == 0) in_.fail("empty RLE run");
    value = 0;
    for (int b = 0; b < (bits_ + 7) / 8; ++b) value |= static_cast<uint32_t>(in_.u8()) << (8 * b);
    length = static_cast<size_t>(std::min<uint64_t>(run, remaining_));
    remaining_ -= length;
    return;
  }
  value = group_[group_position_];
  int end = group_position_ + 1;
  while (end < group_size_ && group_[end] == value) ++end;
  length = static_cast<size_t>(end - group_position_);
  group_position_ = end;
  remaining_ -= length;
}

void decode_hybrid(io::Cursor& in, int bits, size_t count, std::vector<uint32_t>& out) {
  out.clear();
  out.reserve(count);
  HybridRunReader runs(in, bits, count);
  while (runs.remaining() > 0) {
    uint32_t value;
    size_t length;
    runs.next(value, length);
    out.insert(out.end(), length, value);
  }
}

}  // namespace trigml::parquet
