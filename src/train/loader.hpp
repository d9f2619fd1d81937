// Streams batches of events from a prepared dataset: a background thread decodes row groups while
// the caller trains; events are shuffled within a buffer (seeded per epoch) and grouped by particle
// count so that a recurrent batch wastes few steps past its events' ends. Memory is bounded by the
// buffer unless the whole dataset is cached on request.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "model/model.hpp"
#include "train/prepared_data.hpp"

namespace trigml::train {

struct LoaderOptions {
  size_t batch_size = 128;
  // Events shuffled together; 0 keeps the dataset order (evaluation).
  size_t shuffle_buffer = 8192;
  // Sort each buffer by particle count before cutting it into batches (then shuffle the batches).
  bool group_by_length = true;
  bool need_hlf = true;
  bool need_particles = true;
  bool cache = false;  // keep every decoded event in memory after the first epoch
  uint64_t seed = 1;
  // Data-parallel training: every process serves the same batches (the same seeded order) and takes
  // only share `share` of `shares` of each, a contiguous run of its events, disjoint from the others'.
  size_t share = 0, shares = 1;
};

class BatchLoader {
 public:
  // Serves the dataset rows [first, last).
  BatchLoader(const PreparedData& data, uint64_t first, uint64_t last, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  uint64_t events() const { return events_; }
  // Starts an epoch: the order of row groups and of events depends only on (seed, epoch).
  void start_epoch(uint64_t epoch);
  // The next batch, or this process's share of it (its events' rows in the dataset go to `rows`);
  // false when the epoch is over. `global_events` (when given) receives the whole batch's size.
  bool next(model::Batch& batch, std::vector<int32_t>& labels, std::vector<int64_t>& rows,
            size_t* global_events = nullptr);

 private:
  void produce();
  void stop();
  bool take_block();  // appends the next slice's events to buffer_; false after the last
  bool refill();      // fills buffer_ and plans its batches; false when the epoch is exhausted

  const PreparedData& data_;
  LoaderOptions options_;
  std::vector<RowSlice> slices_;
  uint64_t events_ = 0;
  uint64_t epoch_ = 0;
  uint64_t buffer_count_ = 0;
  std::vector<size_t> slice_order_;  // this epoch's order of slices_
  size_t cursor_ = 0;                // next position in slice_order_ for the consumer

  // Producer → consumer hand-over of decoded slices, at most `kAhead` waiting.
  static constexpr size_t kAhead = 2;
  std::thread producer_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<EventBlock> ready_;
  std::vector<EventBlock> spare_;
  bool produced_all_ = false;
  bool stopping_ = false;
  std::exception_ptr failure_;

  std::vector<EventBlock> cache_;  // per slice, when options_.cache and filled
  bool cache_complete_ = false;

  EventBlock buffer_;
  std::vector<uint32_t> order_;                     // buffer events in serving order
  std::vector<std::pair<size_t, size_t>> batches_;  // ranges of order_
  size_t next_batch_ = 0;
};

}  // namespace trigml::train
