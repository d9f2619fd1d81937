// The group of processes that runs one trigml command: under mpirun or srun, every rank of the job;
// otherwise a group of one. Everything distributed in trigml goes through this header (rank, size,
// collectives, the agreement on failures, the work splitter); only its implementation sees MPI, and
// a build without MPI is the group of one.
#pragma once

#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace trigml::dist {

// True when this build can run distributed (it was built with MPI).
bool built_with_mpi();

// Joins the job's group when the environment says mpirun or srun started this process
// (OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK), and leaves it on destruction; without them, the group
// of one. One per program, in main, before any other call here. A build without MPI started as one
// rank of several throws UsageError: every rank would otherwise do all the work.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

int rank();
int size();
inline bool is_root() {
  return rank() == 0;
}

// Collectives: every rank calls them in the same order. `what` names the step for the error that
// ends the job when the other ranks do not arrive within the timeout (TRIGML_DIST_TIMEOUT seconds,
// default 3600); a rank that dies ends the job through the MPI runtime.
void barrier(std::string_view what);
// Element-wise sums over the ranks, added in rank order (rank 0's + rank 1's + ...) on one rank and
// sent to all: the same bits on every rank.
void all_reduce_sum(std::span<double> values, std::string_view what);
void all_reduce_sum(std::span<float> values, std::string_view what);
// Every rank's bytes, in rank order, on every rank.
std::vector<std::string> all_gather(std::string_view bytes, std::string_view what);
// Rank 0's bytes on every rank (the argument of the other ranks is ignored).
std::string broadcast(std::string_view bytes, std::string_view what);

// Every rank's values, concatenated in rank order, on every rank.
template <typename T>
std::vector<T> all_gather_values(std::span<const T> values, std::string_view what) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::vector<std::string> parts =
      all_gather(std::string_view(reinterpret_cast<const char*>(values.data()), values.size_bytes()), what);
  std::vector<T> out;
  for (const std::string& part : parts) {
    const size_t at = out.size();
    out.resize(at + part.size() / sizeof(T));
    std::memcpy(out.data() + at, part.data(), part.size() / sizeof(T) * sizeof(T));
  }
  return out;
}

// Point-to-point messages, for work that one rank hands out as it goes (tune's scheduler on rank 0):
// `bytes` to rank `to`; the next message from rank `from`, waited for within the timeout; or the next
// message from any rank if one has arrived (without waiting). A group of one has no one to talk to.
void send(int to, std::string_view bytes, std::string_view what);
std::string receive(int from, std::string_view what);
struct Message {
  int from = 0;
  std::string bytes;
};
std::optional<Message> try_receive(std::string_view what);

// While one lives, this process is a group of one (rank 0 of 1, collectives return their input): a
// rank that runs a piece of work of its own (one tune trial) through code written for the group.
class Alone {
 public:
  Alone();
  ~Alone();
  Alone(const Alone&) = delete;
  Alone& operator=(const Alone&) = delete;
};

// Ends every process of the job with `code` (a group of one: this process).
[[noreturn]] void abort_job(int code);

// The outcome of a step, agreed by every rank: if the step threw on any rank, agree() throws on
// every rank the error of the lowest failing rank (same kind, its message prefixed "rank R: "), so
// that no rank waits in a later collective for one that has given up, and rank 0 alone reports it.
// In a group of one the step's exception passes unchanged and agree() does nothing.
void agree(std::exception_ptr failure, std::string_view what);
// True once agree() has thrown: every rank holds the same error, so only rank 0 should print it.
bool failure_agreed();

// Runs `step` on every rank, then agree()s on its outcome; returns what the step returned.
template <typename Step>
auto together(std::string_view what, Step&& step) -> decltype(step()) {
  using Result = decltype(step());
  if (size() == 1) return step();
  std::exception_ptr failure;
  if constexpr (std::is_void_v<Result>) {
    try {
      step();
    } catch (...) {
      failure = std::current_exception();
    }
    agree(failure, what);
  } else {
    std::optional<Result> result;
    try {
      result.emplace(step());
    } catch (...) {
      failure = std::current_exception();
    }
    agree(failure, what);
    return std::move(*result);
  }
}

// The work splitter. Each item goes to one rank; the split depends only on the weights and the number
// of ranks.
// Heaviest item first, each to the rank with the least weight so far (ties: the lowest rank).
std::vector<int> assign_by_weight(std::span<const uint64_t> weights, int ranks);
// Items [first, last) of a contiguous split: rank r's range ends after the item whose running total
// of the weights comes nearest to (r + 1) / ranks of their sum.
struct Range {
  size_t first = 0, last = 0;
  size_t size() const { return last - first; }
};
Range contiguous_share(std::span<const uint64_t> weights, int rank, int ranks);
// `count` items in contiguous ranges of count / ranks, the first count % ranks ranks one more.
Range even_share(size_t count, int rank, int ranks);

}  // namespace trigml::dist
