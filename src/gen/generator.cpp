#include "gen/generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/random.hpp"
#include "gen/detector.hpp"
#include "gen/event_record.hpp"
#include "gen/hadronization.hpp"
#include "gen/hard_process.hpp"

namespace trigml::gen {
namespace {

constexpr double kMaxPileup = 200.0;

// Luminous region of the LHC: Gaussian, sigma 50 mm along the beam, 0.01 mm transverse.
constexpr double kBeamSpotSigmaZ = 50.0, kBeamSpotSigmaTransverse = 0.01;
// Mean hadron multiplicity over |eta| < 5 of one pileup interaction (about 3 charged particles per
// unit of pseudorapidity, minimum bias at 13 TeV), and of the underlying event of a hard
// collision, which is about twice as active (multiple parton interactions).
constexpr double kPileupHadrons = 45.0, kUnderlyingEventHadrons = 100.0;

// Lepton filter of the QCD sample, as in the qcd_lepFilter_13TeV sample of the original study:
// at least one electron or muon from a heavy-flavour decay with pT > 20 GeV and |eta| < 2.5.
constexpr double kFilterLeptonPtMin = 20.0, kFilterLeptonEtaMax = 2.5;
// Guards against a filter that can never pass (a bug, not a rare event: the efficiency is ~1 %).
constexpr int kMaxFilterAttempts = 1'000'000;

// Marks a pipeline slot that holds no finished chunk.
constexpr uint64_t kNoChunk = std::numeric_limits<uint64_t>::max();

Vertex beam_spot(Random& rng) {
  return {rng.normal(0.0, kBeamSpotSigmaTransverse), rng.normal(0.0, kBeamSpotSigmaTransverse),
          rng.normal(0.0, kBeamSpotSigmaZ)};
}

bool passes_lepton_filter(const EventRecord& record) {
  return std::any_of(record.particles.begin(), record.particles.end(), [](const Particle& p) {
    const int id = std::abs(p.pdg);
    return p.origin == Origin::HeavyFlavourDecay && (id == pdg::kElectron || id == pdg::kMuon) &&
           p.momentum.pt() > kFilterLeptonPtMin && std::abs(p.momentum.eta()) < kFilterLeptonEtaMax;
  });
}

}  // namespace

Process parse_process(std::string_view name) {
  if (name == "qcd") return Process::Qcd;
  if (name == "ttbar") return Process::TopPair;
  if (name == "wjets") return Process::WJets;
  throw UsageError(fmt::format("unknown process '{}' (expected ttbar, wjets or qcd)", name));
}

std::string_view process_name(Process process) {
  switch (process) {
    case Process::Qcd: return "qcd";
    case Process::TopPair: return "ttbar";
    case Process::WJets: return "wjets";
  }
  throw InternalError(fmt::format("process value {} out of range", static_cast<int>(process)));
}

void validate(const GeneratorSettings& settings) {
  if (!std::isfinite(settings.pileup) || settings.pileup < 0.0 || settings.pileup > kMaxPileup) {
    throw UsageError(fmt::format("pileup must be between 0 and {}, got {}", kMaxPileup, settings.pileup));
  }
  process_name(settings.process);
}

void validate(const GeneratorSettings& settings, int64_t events, int threads) {
  validate(settings);
  if (events < 0) throw UsageError(fmt::format("the number of events must not be negative, got {}", events));
  if (threads < 1 || threads > kMaxThreads) {
    throw UsageError(
        fmt::format("the number of threads must be between 1 and {}, got {}", kMaxThreads, threads));
  }
}

struct EventGenerator::Workspace {
  GeneratorSettings settings;
  Random rng{0};
  EventRecord record;
  Detector detector;

  void generate_event(EventBatch& batch) {
    for (int attempt = 0;; ++attempt) {
      if (attempt == kMaxFilterAttempts) {
        throw InternalError(fmt::format("QCD lepton filter failed {} times in a row", kMaxFilterAttempts));
      }
      record.clear();
      record.primary_vertex = beam_spot(rng);
      switch (settings.process) {
        case Process::TopPair: generate_top_pair(record, rng); break;
        case Process::WJets: generate_w_jets(record, rng); break;
        case Process::Qcd: generate_heavy_flavour_dijet(record, rng); break;
      }
      radiate_final_state(record, rng);
      hadronize_heavy_flavour(record, rng);
      if (settings.process != Process::Qcd || passes_lepton_filter(record)) break;
    }
    fragment_partons(record, rng);
    add_soft_interaction(record, record.primary_vertex, kUnderlyingEventHadrons, Origin::HardCollision, rng);
    const int pileup = rng.poisson(settings.pileup);
    for (int i = 0; i < pileup; ++i)
      add_soft_interaction(record, beam_spot(rng), kPileupHadrons, Origin::Pileup, rng);
    detector.reconstruct(record, rng, batch);
  }
};

EventGenerator::EventGenerator(const GeneratorSettings& settings)
    : workspace_(std::make_unique<Workspace>()) {
  validate(settings);
  workspace_->settings = settings;
}

EventGenerator::~EventGenerator() = default;

void EventGenerator::generate_chunk(uint64_t chunk_index, uint64_t events, EventBatch& batch) {
  if (events > kChunkEvents) {
    throw UsageError(fmt::format("a chunk holds at most {} events, asked for {}", kChunkEvents, events));
  }
  Workspace& w = *workspace_;
  batch.clear();
  w.rng.reseed(chunk_seed(w.settings.seed, static_cast<uint64_t>(w.settings.process), chunk_index));
  for (uint64_t i = 0; i < events; ++i) w.generate_event(batch);
  batch.events = events;
}

void generate_events(const GeneratorSettings& settings, int64_t events, int threads,
                     const std::function<void(const EventBatch&)>& consume) {
  validate(settings, events, threads);
  const uint64_t total = static_cast<uint64_t>(events);
  const uint64_t chunks = (total + kChunkEvents - 1) / kChunkEvents;
  if (chunks == 0) return;
  const size_t workers = static_cast<size_t>(std::min<uint64_t>(chunks, static_cast<uint64_t>(threads)));

  // Chunk c is generated into slot c % slots, once chunk c - slots has been consumed; the calling
  // thread consumes in chunk order. Workers thus run up to `slots` chunks ahead of the consumer
  // (the writer), and at most `slots` batches exist.
  const uint64_t slots = 2 * workers;
  std::vector<EventBatch> batches(slots);
  std::vector<uint64_t> slot_chunk(slots, kNoChunk);
  uint64_t consumed = 0;
  bool abort = false;
  std::exception_ptr failure;
  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<uint64_t> next_chunk{0};

  auto work = [&] {
    try {
      EventGenerator generator(settings);
      for (uint64_t chunk = next_chunk++; chunk < chunks; chunk = next_chunk++) {
        const uint64_t slot = chunk % slots;
        {
          std::unique_lock lock(mutex);
          changed.wait(lock, [&] { return abort || consumed + slots > chunk; });
          if (abort) return;
        }
        generator.generate_chunk(chunk, std::min(kChunkEvents, total - chunk * kChunkEvents), batches[slot]);
        {
          std::lock_guard lock(mutex);
          slot_chunk[slot] = chunk;
        }
        changed.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      abort = true;
      changed.notify_all();
    }
  };
  std::vector<std::jthread> running;
  // Declared after the threads, so destroyed first: stops them before they are joined, also when
  // the consumer throws.
  struct StopOnExit {
    std::mutex& mutex;
    std::condition_variable& changed;
    bool& abort;
    ~StopOnExit() {
      {
        std::lock_guard lock(mutex);
        abort = true;
      }
      changed.notify_all();
    }
  } stop{mutex, changed, abort};
  for (size_t i = 0; i < workers; ++i) running.emplace_back(work);

  for (uint64_t chunk = 0; chunk < chunks; ++chunk) {
    const uint64_t slot = chunk % slots;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return abort || slot_chunk[slot] == chunk; });
      if (failure) std::rethrow_exception(failure);
    }
    consume(batches[slot]);
    {
      std::lock_guard lock(mutex);
      slot_chunk[slot] = kNoChunk;
      consumed = chunk + 1;
    }
    changed.notify_all();
  }
}

}  // namespace trigml::gen
