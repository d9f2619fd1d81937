#include "train/loader.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "common/error.hpp"
#include "common/random.hpp"
#include "dist/dist.hpp"

namespace trigml::train {
namespace {

// Uniform in [0, bound): 53 random bits scaled (the bias is below 2^-30 for the sizes used here).
uint64_t below(Random& random, uint64_t bound) {
  return std::min(bound - 1, static_cast<uint64_t>(random.uniform() * static_cast<double>(bound)));
}

template <typename T>
void shuffle(std::vector<T>& items, Random& random) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(random, i)]);
}

// Stream identifiers for chunk_seed: which shuffle of an epoch a generator serves.
constexpr uint64_t kSliceOrderStream = 0;
constexpr uint64_t kBufferStream = 1;

}  // namespace

BatchLoader::BatchLoader(const PreparedData& data, uint64_t first, uint64_t last, LoaderOptions options)
    : data_(data), options_(options), slices_(data.slices(first, last)), events_(last - first) {
  if (options_.batch_size == 0) throw UsageError("batch size must be at least 1");
  if (options_.share >= options_.shares) throw InternalError("batch loader: share beyond the shares");
  cache_.resize(options_.cache ? slices_.size() : 0);
}

BatchLoader::~BatchLoader() {
  stop();
}

void BatchLoader::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (producer_.joinable()) producer_.join();
  stopping_ = false;
  for (auto& block : ready_) spare_.push_back(std::move(block));
  ready_.clear();
  produced_all_ = false;
  failure_ = nullptr;
}

void BatchLoader::start_epoch(uint64_t epoch) {
  stop();
  epoch_ = epoch;
  buffer_count_ = 0;
  batches_.clear();
  next_batch_ = 0;
  slice_order_.resize(slices_.size());
  std::iota(slice_order_.begin(), slice_order_.end(), size_t{0});
  if (options_.shuffle_buffer > 0) {
    Random random(chunk_seed(options_.seed, epoch, kSliceOrderStream));
    shuffle(slice_order_, random);
  }
  cursor_ = 0;
  if (!cache_complete_) producer_ = std::thread([this] { produce(); });
}

void BatchLoader::produce() {
  std::vector<parquet::ColumnData> scratch;
  for (size_t index : slice_order_) {
    EventBlock block;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || ready_.size() < kAhead; });
      if (stopping_) return;
      if (!spare_.empty()) {
        block = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    block.clear();
    try {
      data_.read(slices_[index], {options_.need_hlf, options_.need_particles}, block, scratch);
    } catch (...) {
      std::lock_guard lock(mutex_);
      failure_ = std::current_exception();
      produced_all_ = true;
      changed_.notify_all();
      return;
    }
    std::lock_guard lock(mutex_);
    ready_.push_back(std::move(block));
    changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  produced_all_ = true;
  changed_.notify_all();
}

bool BatchLoader::take_block() {
  if (cursor_ == slice_order_.size()) return false;
  const size_t index = slice_order_[cursor_++];
  if (cache_complete_) {
    const EventBlock& cached = cache_[index];
    buffer_.append(cached, 0, cached.size());
    return true;
  }
  EventBlock block;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty() || produced_all_; });
    if (failure_) std::rethrow_exception(failure_);
    if (ready_.empty()) throw InternalError("batch loader: the reader stopped before the last row group");
    block = std::move(ready_.front());
    ready_.pop_front();
  }
  changed_.notify_all();
  buffer_.append(block, 0, block.size());
  std::lock_guard lock(mutex_);
  if (options_.cache) {
    cache_[index] = std::move(block);
    if (cursor_ == slice_order_.size()) cache_complete_ = true;
  } else {
    spare_.push_back(std::move(block));
  }
  return true;
}

bool BatchLoader::refill() {
  buffer_.clear();
  const size_t target = options_.shuffle_buffer > 0 ? options_.shuffle_buffer : options_.batch_size * 64;
  while (buffer_.size() < target && take_block()) {
  }
  const size_t n = buffer_.size();
  if (n == 0) return false;

  order_.resize(n);
  std::iota(order_.begin(), order_.end(), uint32_t{0});
  Random random(chunk_seed(options_.seed, epoch_, kBufferStream + buffer_count_++));
  if (options_.shuffle_buffer > 0) shuffle(order_, random);
  if (options_.group_by_length && options_.need_particles)
    std::stable_sort(order_.begin(), order_.end(),
                     [&](uint32_t a, uint32_t b) { return buffer_.length(a) > buffer_.length(b); });
  batches_.clear();
  for (size_t start = 0; start < n; start += options_.batch_size)
    batches_.emplace_back(start, std::min(n, start + options_.batch_size));
  if (options_.shuffle_buffer > 0) shuffle(batches_, random);
  next_batch_ = 0;
  return true;
}

bool BatchLoader::next(model::Batch& batch, std::vector<int32_t>& labels, std::vector<int64_t>& rows,
                       size_t* global_events) {
  if (next_batch_ == batches_.size() && !refill()) return false;
  const auto [batch_begin, batch_end] = batches_[next_batch_++];
  if (global_events) *global_events = batch_end - batch_begin;
  const dist::Range share = dist::even_share(batch_end - batch_begin, static_cast<int>(options_.share),
                                             static_cast<int>(options_.shares));
  const size_t begin = batch_begin + share.first, end = batch_begin + share.last;
  const size_t n = end - begin;
  const size_t hlf_width = buffer_.hlf_features, particle_width = buffer_.particle_features;
  labels.resize(n);
  rows.resize(n);
  batch.hlf.resize(options_.need_hlf ? n * hlf_width : 0);
  batch.lengths.resize(options_.need_particles ? n : 0);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t e = order_[begin + i];
    labels[i] = buffer_.labels[e];
    rows[i] = buffer_.rows[e];
    if (options_.need_hlf)
      std::memcpy(&batch.hlf[i * hlf_width], &buffer_.hlf[e * hlf_width], hlf_width * sizeof(float));
    if (options_.need_particles) {
      batch.lengths[i] = buffer_.length(e);
      total += static_cast<size_t>(batch.lengths[i]);
    }
  }
  if (options_.need_particles) {
    batch.particles.resize(total * particle_width);
    float* out = batch.particles.data();
    for (size_t i = 0; i < n; ++i) {
      const uint32_t e = order_[begin + i];
      const size_t count = static_cast<size_t>(batch.lengths[i]) * particle_width;
      std::memcpy(out, &buffer_.particles[static_cast<size_t>(buffer_.particle_offsets[e]) * particle_width],
                  count * sizeof(float));
      out += count;
    }
  } else {
    batch.particles.clear();
  }
  return true;
}

}  // namespace trigml::train
