// The group seam: the work splitter's shares, the group of one, and (under mpirun, 3 ranks over
// loopback TCP) the collectives: sums in rank order with the same bits on every rank, gathers,
// broadcasts, and the agreement that makes every rank raise the error of the lowest failing one.
#include "dist/dist.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <numeric>
#include <thread>

#include "common/error.hpp"
#include "common/mpi.hpp"

using namespace trigml;

namespace {

TEST(WorkSplitter, AssignsHeaviestFirstToTheLightestRank) {
  const std::vector<uint64_t> weights = {5, 1, 9, 3, 3, 7};
  const std::vector<int> owner = dist::assign_by_weight(weights, 2);
  // 9 → 0; 7 → 1; 5 → 1 (loads 9 | 7); 3 → 0 (9 | 12); 3 → 0 (12 | 12: a tie goes to the lower
  // rank); 1 → 1 (15 | 12).
  EXPECT_EQ(owner, (std::vector<int>{1, 1, 0, 0, 0, 1}));
  std::vector<uint64_t> load(2, 0);
  for (size_t i = 0; i < weights.size(); ++i) load[static_cast<size_t>(owner[i])] += weights[i];
  EXPECT_EQ(load[0], 15u);
  EXPECT_EQ(load[1], 13u);
  EXPECT_EQ(dist::assign_by_weight(weights, 1), std::vector<int>(weights.size(), 0));
}

TEST(WorkSplitter, ContiguousSharesCoverEveryItemOnceInOrder) {
  const std::vector<uint64_t> weights = {4, 4, 4, 4, 1, 1, 1, 1, 8};
  for (int ranks : {1, 2, 3, 5, 12}) {
    size_t next = 0;
    for (int r = 0; r < ranks; ++r) {
      const dist::Range share = dist::contiguous_share(weights, r, ranks);
      EXPECT_EQ(share.first, next) << ranks << " ranks, rank " << r;
      next = share.last;
    }
    EXPECT_EQ(next, weights.size()) << ranks << " ranks";
  }
  // Half of the weight 28 lies between the running totals 12 (three items) and 16 (four): as near,
  // the earlier cut. A third (9.3) is nearest to 8 (two items), two thirds (18.7) to 19 (seven).
  EXPECT_EQ(dist::contiguous_share(weights, 0, 2).last, 3u);
  EXPECT_EQ(dist::contiguous_share(weights, 0, 3).last, 2u);
  EXPECT_EQ(dist::contiguous_share(weights, 1, 3).last, 7u);
  EXPECT_THROW(dist::contiguous_share(weights, 2, 2), InternalError);
}

TEST(WorkSplitter, EvenSharesDifferByAtMostOne) {
  for (size_t count : {0, 1, 7, 9}) {
    size_t next = 0;
    for (int r = 0; r < 3; ++r) {
      const dist::Range share = dist::even_share(count, r, 3);
      EXPECT_EQ(share.first, next);
      EXPECT_LE(share.size(), count / 3 + 1);
      EXPECT_GE(share.size(), count / 3);
      next = share.last;
    }
    EXPECT_EQ(next, count);
  }
  EXPECT_EQ(dist::even_share(7, 0, 3).size(), 3u);
  EXPECT_EQ(dist::even_share(7, 2, 3).size(), 2u);
}

TEST(GroupOfOne, CollectivesReturnTheirInputAndFailuresPassUnchanged) {
  if (std::getenv("OMPI_COMM_WORLD_SIZE")) GTEST_SKIP() << "under mpirun";
  EXPECT_EQ(dist::size(), 1);
  EXPECT_TRUE(dist::is_root());
  std::vector<double> values = {1.5, -2};
  dist::all_reduce_sum(values, "test");
  EXPECT_EQ(values, (std::vector<double>{1.5, -2}));
  EXPECT_EQ(dist::all_gather("abc", "test"), std::vector<std::string>{"abc"});
  EXPECT_EQ(dist::broadcast("xyz", "test"), "xyz");
  EXPECT_EQ(dist::together("test", [] { return 7; }), 7);
  EXPECT_THROW(dist::together("test", []() -> int { throw NotFoundError("gone", {"f.root"}); }),
               NotFoundError);
  EXPECT_FALSE(dist::failure_agreed());
}

// Runs only as a rank of the job that Collectives.AcrossThreeRanks starts (ctest leaves *Rank suites out).
TEST(CollectivesRank, BehaveAlikeOnEveryRank) {
  if (!std::getenv("TRIGML_DIST_TEST_RANK")) GTEST_SKIP() << "runs under mpirun only (see AcrossThreeRanks)";
  int argc = 0;
  char** argv = nullptr;
  dist::Session session(argc, argv);
  ASSERT_EQ(dist::size(), 3);
  const int rank = dist::rank();
  // Values whose float sum depends on the order: rank order gives (1e8 + 1) + -1e8 = 0 in float.
  std::vector<float> values = {rank == 0 ? 1e8f : rank == 1 ? 1.0f : -1e8f, static_cast<float>(rank)};
  dist::all_reduce_sum(values, "test: floats");
  EXPECT_EQ(values[0], (1e8f + 1.0f) + -1e8f);
  EXPECT_EQ(values[1], 3.0f);
  std::vector<double> doubles = {static_cast<double>(rank) * 0.1};
  dist::all_reduce_sum(doubles, "test: doubles");
  EXPECT_EQ(doubles[0], (0.0 + 0.1) + 0.2);
  const auto gathered = dist::all_gather(std::string(static_cast<size_t>(rank), 'x'), "test: gather");
  EXPECT_EQ(gathered, (std::vector<std::string>{"", "x", "xx"}));
  const std::vector<uint64_t> mine(static_cast<size_t>(rank) + 1, static_cast<uint64_t>(rank));
  EXPECT_EQ(dist::all_gather_values(std::span<const uint64_t>(mine), "test: values"),
            (std::vector<uint64_t>{0, 1, 1, 2, 2, 2}));
  EXPECT_EQ(dist::broadcast(rank == 0 ? "from rank 0" : "ignored", "test: broadcast"), "from rank 0");
  dist::barrier("test: barrier");
  // Ranks 1 and 2 fail with different errors: every rank raises rank 1's, as a NotFoundError.
  try {
    dist::together("test: agreement", [&] {
      if (rank == 1) throw NotFoundError("no such column", {"part-00001.parquet"});
      if (rank == 2) throw IoError("disk full");
    });
    ADD_FAILURE() << "together() did not throw on rank " << rank;
  } catch (const NotFoundError& e) {
    EXPECT_EQ(std::string(e.what()), "rank 1 of 3: part-00001.parquet: no such column");
  }
  EXPECT_TRUE(dist::failure_agreed());
}

// Runs only as a rank of the job that Collectives.AStuckRankEndsTheJobAtTheTimeout starts: rank 1
// never reaches the barrier (it sleeps far beyond the timeout, alive).
TEST(CollectivesRank, StuckRank) {
  if (!std::getenv("TRIGML_DIST_TEST_STUCK")) GTEST_SKIP() << "runs under mpirun only (see AStuckRank...)";
  int argc = 0;
  char** argv = nullptr;
  dist::Session session(argc, argv);
  if (dist::rank() == 1) std::this_thread::sleep_for(std::chrono::seconds(120));
  dist::barrier("test: the stuck barrier");
  ADD_FAILURE() << "the barrier returned without rank 1";
}

TEST(Collectives, AStuckRankEndsTheJobAtTheTimeout) {
  TRIGML_SKIP_WITHOUT_MPI();
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const auto start = std::chrono::steady_clock::now();
  const auto result = trigml::testing::run_command(
      trigml::testing::mpirun(2,
                              "-x TRIGML_DIST_TEST_STUCK=1 -x TRIGML_DIST_TIMEOUT=2 " + self +
                                  " --gtest_filter=CollectivesRank.StuckRank",
                              60));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_NE(
      result.output.find("rank 0 of 2: the other ranks did not reach 'test: the stuck barrier' within 2 s"),
      std::string::npos)
      << result.output;
  EXPECT_LT(seconds, 30) << "the job must end soon after the timeout, not when the sleeping rank wakes";
}

TEST(Collectives, AcrossThreeRanks) {
  TRIGML_SKIP_WITHOUT_MPI();
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const auto result = trigml::testing::run_command(
      trigml::testing::mpirun(3,
                              "-x TRIGML_DIST_TEST_RANK=1 " + self +
                                  " --gtest_color=no --gtest_filter=CollectivesRank.BehaveAlikeOnEveryRank",
                              120));
  EXPECT_EQ(result.status, 0) << result.output;
  size_t passed = 0;
  for (size_t at = 0; (at = result.output.find("[  PASSED  ] 1 test", at)) != std::string::npos; ++at)
    ++passed;
  EXPECT_EQ(passed, 3u) << "every rank runs the test and passes it:\n" << result.output;
}

}  // namespace
