// trigml's fast Monte Carlo of 13 TeV proton-proton collisions (tt, W+jets, heavy-flavour QCD with
// a lepton filter) with a Delphes-like detector model, producing Delphes-layout column batches.
// Units: GeV, mm, radians. See docs/generator.md for the physics model and its parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "gen/event_batch.hpp"

namespace trigml::gen {

// The classes of the classifier: the numeric value is the class label.
enum class Process { Qcd = 0, TopPair = 1, WJets = 2 };

// "qcd", "ttbar", "wjets"; anything else throws UsageError.
Process parse_process(std::string_view name);
std::string_view process_name(Process process);

struct GeneratorSettings {
  Process process = Process::TopPair;
  uint64_t seed = 0;
  double pileup = 20.0;  // mean number of additional inelastic interactions per bunch crossing
};

// Events are generated in chunks of this many, each from its own random stream derived from
// (seed, process, chunk index): the output does not depend on how chunks are spread over threads.
inline constexpr uint64_t kChunkEvents = 1000;

// Throws UsageError for a pileup that is negative, not finite or above 200.
void validate(const GeneratorSettings& settings);

// Worker threads per run: each may hold two chunk batches of about 10 MB.
inline constexpr int kMaxThreads = 128;

// Throws UsageError for bad settings, a negative number of events, or a thread count outside
// [1, kMaxThreads].
void validate(const GeneratorSettings& settings, int64_t events, int threads);

// Generates chunks of events into a batch. One instance per thread: it owns the reusable buffers,
// so generating allocates nothing once they have grown.
class EventGenerator {
 public:
  explicit EventGenerator(const GeneratorSettings& settings);
  ~EventGenerator();
  EventGenerator(const EventGenerator&) = delete;
  EventGenerator& operator=(const EventGenerator&) = delete;

  // Replaces the content of `batch` with events [0, events) of chunk `chunk_index`
  // (events <= kChunkEvents; a shorter chunk is a prefix of the full one).
  void generate_chunk(uint64_t chunk_index, uint64_t events, EventBatch& batch);

 private:
  struct Workspace;
  std::unique_ptr<Workspace> workspace_;
};

// Generates `events` events with `threads` worker threads and hands the chunks to `consume` in
// chunk order, on the calling thread, while the workers go on generating (up to two chunks per
// worker ahead). Checks its arguments with validate(); an exception from a worker or from
// `consume` stops the workers and propagates.
void generate_events(const GeneratorSettings& settings, int64_t events, int threads,
                     const std::function<void(const EventBatch&)>& consume);

}  // namespace trigml::gen
