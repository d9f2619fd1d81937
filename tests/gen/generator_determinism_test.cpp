// Reproducibility (same seed, same events, whatever the thread count) and argument checking.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common/error.hpp"
#include "common/random.hpp"
#include "gen/generator.hpp"

namespace trigml::gen {
namespace {

// All events of a run, concatenated column by column.
EventBatch run(const GeneratorSettings& settings, int64_t events, int threads) {
  EventBatch all;
  auto append = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
  generate_events(settings, events, threads, [&](const EventBatch& b) {
    all.events += b.events;
    for (auto [to, from] : {std::pair{&all.electrons, &b.electrons}, std::pair{&all.muons, &b.muons}}) {
      append(to->size, from->size);
      append(to->pt, from->pt);
      append(to->eta, from->eta);
      append(to->phi, from->phi);
      append(to->charge, from->charge);
    }
    append(all.jets.size, b.jets.size);
    append(all.jets.pt, b.jets.pt);
    append(all.jets.eta, b.jets.eta);
    append(all.jets.phi, b.jets.phi);
    append(all.jets.mass, b.jets.mass);
    append(all.jets.btag, b.jets.btag);
    append(all.missing_et.size, b.missing_et.size);
    append(all.missing_et.met, b.missing_et.met);
    append(all.missing_et.phi, b.missing_et.phi);
    append(all.tracks.size, b.tracks.size);
    append(all.tracks.pt, b.tracks.pt);
    append(all.tracks.eta, b.tracks.eta);
    append(all.tracks.phi, b.tracks.phi);
    append(all.tracks.pid, b.tracks.pid);
    append(all.tracks.charge, b.tracks.charge);
    append(all.tracks.x, b.tracks.x);
    append(all.tracks.y, b.tracks.y);
    append(all.tracks.z, b.tracks.z);
    for (auto [to, from] :
         {std::pair{&all.photons, &b.photons}, std::pair{&all.neutral_hadrons, &b.neutral_hadrons}}) {
      append(to->size, from->size);
      append(to->et, from->et);
      append(to->eta, from->eta);
      append(to->phi, from->phi);
    }
  });
  return all;
}

void expect_identical(const EventBatch& a, const EventBatch& b) {
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.electrons.size, b.electrons.size);
  EXPECT_EQ(a.electrons.pt, b.electrons.pt);
  EXPECT_EQ(a.electrons.charge, b.electrons.charge);
  EXPECT_EQ(a.muons.size, b.muons.size);
  EXPECT_EQ(a.muons.eta, b.muons.eta);
  EXPECT_EQ(a.jets.size, b.jets.size);
  EXPECT_EQ(a.jets.pt, b.jets.pt);
  EXPECT_EQ(a.jets.eta, b.jets.eta);
  EXPECT_EQ(a.jets.phi, b.jets.phi);
  EXPECT_EQ(a.jets.mass, b.jets.mass);
  EXPECT_EQ(a.jets.btag, b.jets.btag);
  EXPECT_EQ(a.missing_et.met, b.missing_et.met);
  EXPECT_EQ(a.missing_et.phi, b.missing_et.phi);
  EXPECT_EQ(a.tracks.size, b.tracks.size);
  EXPECT_EQ(a.tracks.pt, b.tracks.pt);
  EXPECT_EQ(a.tracks.pid, b.tracks.pid);
  EXPECT_EQ(a.tracks.z, b.tracks.z);
  EXPECT_EQ(a.photons.size, b.photons.size);
  EXPECT_EQ(a.photons.et, b.photons.et);
  EXPECT_EQ(a.neutral_hadrons.size, b.neutral_hadrons.size);
  EXPECT_EQ(a.neutral_hadrons.et, b.neutral_hadrons.et);
}

TEST(GeneratorDeterminism, SameSeedGivesIdenticalEventsWithOneOrTwoThreads) {
  GeneratorSettings settings;
  settings.process = Process::TopPair;
  settings.seed = 99;
  // 2500 events: two full chunks and a partial one, so both threads and the tail are exercised.
  const EventBatch one = run(settings, 2500, 1);
  const EventBatch two = run(settings, 2500, 2);
  ASSERT_EQ(one.events, 2500u);
  expect_identical(one, two);
}

TEST(GeneratorDeterminism, SeedAndProcessChangeTheEvents) {
  GeneratorSettings settings;
  settings.process = Process::WJets;
  settings.seed = 1;
  settings.pileup = 5.0;
  const EventBatch first = run(settings, 50, 1);
  settings.seed = 2;
  const EventBatch second = run(settings, 50, 1);
  EXPECT_NE(first.tracks.pt, second.tracks.pt);
  EXPECT_NE(chunk_seed(1, 0, 0), chunk_seed(1, 1, 0));
  EXPECT_NE(chunk_seed(1, 0, 0), chunk_seed(1, 0, 1));
  EXPECT_NE(chunk_seed(1, 0, 0), chunk_seed(2, 0, 0));
}

TEST(GeneratorDeterminism, ShortChunkIsAPrefixOfTheFullChunk) {
  GeneratorSettings settings;
  settings.process = Process::Qcd;
  settings.pileup = 0.0;
  EventGenerator generator(settings);
  EventBatch shorter, longer;
  generator.generate_chunk(3, 5, shorter);
  generator.generate_chunk(3, 20, longer);
  ASSERT_EQ(shorter.missing_et.met.size(), 5u);
  EXPECT_TRUE(std::equal(shorter.missing_et.met.begin(), shorter.missing_et.met.end(),
                         longer.missing_et.met.begin()));
}

TEST(GeneratorPipeline, ChunksArriveInOrderWithMoreThreadsThanCores) {
  GeneratorSettings settings;
  settings.process = Process::WJets;
  settings.pileup = 0.0;
  std::vector<uint64_t> sizes;
  generate_events(settings, 3500, 3, [&](const EventBatch& b) { sizes.push_back(b.events); });
  EXPECT_EQ(sizes, (std::vector<uint64_t>{1000, 1000, 1000, 500}));
}

TEST(GeneratorPipeline, ConsumerExceptionStopsTheWorkersAndPropagates) {
  GeneratorSettings settings;
  settings.process = Process::WJets;
  settings.pileup = 0.0;
  int calls = 0;
  EXPECT_THROW(generate_events(settings, 8000, 2,
                               [&](const EventBatch&) {
                                 if (++calls == 2) throw IoError("disk full");
                               }),
               IoError);
  EXPECT_EQ(calls, 2);
}

TEST(GeneratorArguments, ProcessNamesRoundTripAndUnknownNamesAreUsageErrors) {
  for (Process p : {Process::Qcd, Process::TopPair, Process::WJets})
    EXPECT_EQ(parse_process(process_name(p)), p);
  EXPECT_EQ(static_cast<int>(Process::Qcd), 0);
  EXPECT_EQ(static_cast<int>(Process::TopPair), 1);
  EXPECT_EQ(static_cast<int>(Process::WJets), 2);
  try {
    parse_process("foo");
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown process 'foo' (expected ttbar, wjets or qcd)");
  }
  EXPECT_THROW(parse_process("TTbar"), UsageError);
  EXPECT_THROW(parse_process(""), UsageError);
}

TEST(GeneratorArguments, BadCountsAndPileupAreUsageErrorsBeforeAnyEvent) {
  GeneratorSettings settings;
  int batches = 0;
  auto count = [&](const EventBatch&) { ++batches; };
  EXPECT_THROW(generate_events(settings, -1, 1, count), UsageError);
  EXPECT_THROW(generate_events(settings, 10, 0, count), UsageError);
  EXPECT_THROW(generate_events(settings, 10, -2, count), UsageError);
  EXPECT_THROW(generate_events(settings, 10, kMaxThreads + 1, count), UsageError);
  for (double pileup : {-1.0, 1000.0, std::numeric_limits<double>::quiet_NaN()}) {
    settings.pileup = pileup;
    EXPECT_THROW(generate_events(settings, 10, 1, count), UsageError);
    EXPECT_THROW(EventGenerator{settings}, UsageError);
  }
  EXPECT_EQ(batches, 0);
  settings.pileup = 0.0;
  EventGenerator generator(settings);
  EventBatch batch;
  EXPECT_THROW(generator.generate_chunk(0, kChunkEvents + 1, batch), UsageError);
}

TEST(GeneratorArguments, ZeroEventsGiveNoBatch) {
  int batches = 0;
  generate_events(GeneratorSettings{}, 0, 2, [&](const EventBatch&) { ++batches; });
  EXPECT_EQ(batches, 0);
}

}  // namespace
}  // namespace trigml::gen
