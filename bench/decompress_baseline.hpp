// The limit a ROOT reader can approach: the same baskets a read covers, already in memory, only
// decompressed with the reader's own library calls into one reused buffer. A basket stored without
// compression, or kept inside the TTree object (embedded), is only copied.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/buffer.hpp"
#include "rootio/decompress.hpp"
#include "rootio/file.hpp"
#include "rootio/tree.hpp"

namespace trigml::bench {

class DecompressBaseline {
 public:
  DecompressBaseline(const rootio::RootFile& file, const std::vector<const rootio::Branch*>& branches)
      : origin_{file.name(), "basket", 0, false} {
    for (const rootio::Branch* branch : branches) {
      for (size_t i = 0; i < branch->basket_count(); ++i) {
        auto raw = file.source().read(branch->basket_seek[i], static_cast<uint64_t>(branch->basket_bytes[i]));
        io::Cursor cursor(raw, &origin_);
        rootio::Key key = rootio::read_key_header(cursor);
        baskets_.push_back({std::vector<std::byte>(raw.begin() + key.key_length, raw.end()),
                            static_cast<size_t>(key.object_length), key.compressed()});
      }
      for (const rootio::EmbeddedBasket& embedded : branch->embedded)
        baskets_.push_back({embedded.data, embedded.data.size(), false});
    }
    size_t largest = 0;
    for (const Basket& basket : baskets_) {
      payload_bytes_ += basket.uncompressed;
      largest = std::max(largest, basket.uncompressed);
    }
    out_.resize(largest);
  }

  // Uncompressed payload bytes of every basket: the measure of MB/s for the reader and the baseline.
  uint64_t payload_bytes() const { return payload_bytes_; }

  void run() {
    for (const Basket& basket : baskets_) {
      std::span<std::byte> out(out_.data(), basket.uncompressed);
      if (basket.compressed) {
        rootio::decompress(basket.stored, out, origin_);
      } else {
        std::memcpy(out.data(), basket.stored.data(), basket.uncompressed);
      }
    }
  }
  const std::byte* output() const { return out_.data(); }

 private:
  struct Basket {
    std::vector<std::byte> stored;
    size_t uncompressed = 0;
    bool compressed = false;
  };
  io::BufferOrigin origin_;
  std::vector<Basket> baskets_;
  ByteBuffer out_;
  uint64_t payload_bytes_ = 0;
};

}  // namespace trigml::bench
