// The group over MPI. Collectives are started non-blocking and polled, so that a wait ends with an
// error naming its step when the other ranks do not arrive within the timeout; only the thread that
// created the Session calls MPI (MPI_THREAD_FUNNELED).
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/error.hpp"
#include "dist/dist.hpp"

namespace trigml::dist {

namespace {

bool joined = false;
int world_rank = 0, world_size = 1;
int alone = 0;                  // Alone scopes alive: the group is this process alone
constexpr int kMessageTag = 7;  // point-to-point messages (collectives do not match tags)
std::chrono::seconds timeout{3600};

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

void check(int status, std::string_view what) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw IoError(fmt::format("rank {} of {}: MPI failed at '{}': {}", world_rank, world_size, what,
                            std::string_view(text, static_cast<size_t>(length))));
}

// Polls: a busy loop for the first microseconds (a training step's all-reduce is that short), then
// short sleeps that leave the core to the other threads.
void wait(MPI_Request& request, std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (unsigned polls = 0;; ++polls) {
    int done = 0;
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
    if (done) return;
    if (polls > 2000) std::this_thread::sleep_for(std::chrono::microseconds(50));
    if ((polls & 63) == 0 && std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr,
                   "trigml: rank %d of %d: the other ranks did not reach '%.*s' within %lld s "
                   "(TRIGML_DIST_TIMEOUT): a rank is stuck or lost; ending the job\n",
                   world_rank, world_size, static_cast<int>(what.size()), what.data(),
                   static_cast<long long>(timeout.count()));
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
}

int count_of(size_t bytes, std::string_view what) {
  if (bytes > static_cast<size_t>(INT32_MAX))
    throw InternalError(fmt::format("'{}': {} bytes exceed one MPI message", what, bytes));
  return static_cast<int>(bytes);
}

template <typename T>
void sum_in_rank_order(std::span<T> values, MPI_Datatype type, std::string_view what) {
  if (size() == 1) return;
  const int count = count_of(values.size(), what);
  std::vector<T> gathered(world_rank == 0 ? values.size() * static_cast<size_t>(world_size) : 0);
  MPI_Request request;
  check(MPI_Igather(values.data(), count, type, gathered.data(), count, type, 0, MPI_COMM_WORLD, &request),
        what);
  wait(request, what);
  if (world_rank == 0)
    for (size_t r = 1; r < static_cast<size_t>(world_size); ++r)
      for (size_t i = 0; i < values.size(); ++i) values[i] += gathered[r * values.size() + i];
  check(MPI_Ibcast(values.data(), count, type, 0, MPI_COMM_WORLD, &request), what);
  wait(request, what);
}

}  // namespace

bool built_with_mpi() {
  return true;
}

Session::Session(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw IoError("cannot join the MPI job (MPI_Init_thread failed)");
  joined = true;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  if (const char* seconds = std::getenv("TRIGML_DIST_TIMEOUT")) {
    char* end = nullptr;
    const long value = std::strtol(seconds, &end, 10);
    if (end == seconds || *end != '\0' || value < 1)
      throw UsageError(fmt::format("TRIGML_DIST_TIMEOUT must be a number of seconds, not '{}'", seconds));
    timeout = std::chrono::seconds(value);
  }
}

Session::~Session() {
  if (joined) MPI_Finalize();
  joined = false;
}

int rank() {
  return alone > 0 ? 0 : world_rank;
}

int size() {
  return alone > 0 ? 1 : world_size;
}

Alone::Alone() {
  ++alone;
}

Alone::~Alone() {
  --alone;
}

void barrier(std::string_view what) {
  if (size() == 1) return;
  MPI_Request request;
  check(MPI_Ibarrier(MPI_COMM_WORLD, &request), what);
  wait(request, what);
}

void all_reduce_sum(std::span<double> values, std::string_view what) {
  sum_in_rank_order(values, MPI_DOUBLE, what);
}

void all_reduce_sum(std::span<float> values, std::string_view what) {
  sum_in_rank_order(values, MPI_FLOAT, what);
}

std::vector<std::string> all_gather(std::string_view bytes, std::string_view what) {
  if (size() == 1) return {std::string(bytes)};
  const int mine = count_of(bytes.size(), what);
  std::vector<int> sizes(static_cast<size_t>(world_size)), offsets(static_cast<size_t>(world_size));
  MPI_Request request;
  check(MPI_Iallgather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, MPI_COMM_WORLD, &request), what);
  wait(request, what);
  size_t total = 0;
  for (size_t r = 0; r < sizes.size(); ++r) {
    offsets[r] = count_of(total, what);
    total += static_cast<size_t>(sizes[r]);
  }
  count_of(total, what);
  std::string all(total, '\0');
  check(MPI_Iallgatherv(bytes.data(), mine, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE,
                        MPI_COMM_WORLD, &request),
        what);
  wait(request, what);
  std::vector<std::string> out;
  for (size_t r = 0; r < sizes.size(); ++r)
    out.push_back(all.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(sizes[r])));
  return out;
}

std::string broadcast(std::string_view bytes, std::string_view what) {
  if (size() == 1) return std::string(bytes);
  int64_t length = world_rank == 0 ? static_cast<int64_t>(bytes.size()) : 0;
  MPI_Request request;
  check(MPI_Ibcast(&length, 1, MPI_INT64_T, 0, MPI_COMM_WORLD, &request), what);
  wait(request, what);
  std::string out = world_rank == 0 ? std::string(bytes) : std::string(static_cast<size_t>(length), '\0');
  check(MPI_Ibcast(out.data(), count_of(out.size(), what), MPI_BYTE, 0, MPI_COMM_WORLD, &request), what);
  wait(request, what);
  return out;
}

void send(int to, std::string_view bytes, std::string_view what) {
  if (to < 0 || to >= world_size || to == world_rank)
    throw InternalError(
        fmt::format("'{}': no rank {} to send to (rank {} of {})", what, to, world_rank, world_size));
  MPI_Request request;
  check(MPI_Isend(bytes.data(), count_of(bytes.size(), what), MPI_BYTE, to, kMessageTag, MPI_COMM_WORLD,
                  &request),
        what);
  wait(request, what);
}

namespace {
std::string receive_probed(const MPI_Status& probed, std::string_view what) {
  int count = 0;
  check(MPI_Get_count(&probed, MPI_BYTE, &count), what);
  std::string out(static_cast<size_t>(count), '\0');
  check(MPI_Recv(out.data(), count, MPI_BYTE, probed.MPI_SOURCE, kMessageTag, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE),
        what);
  return out;
}
}  // namespace

std::string receive(int from, std::string_view what) {
  if (from < 0 || from >= world_size || from == world_rank)
    throw InternalError(
        fmt::format("'{}': no rank {} to receive from (rank {} of {})", what, from, world_rank, world_size));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (unsigned polls = 0;; ++polls) {
    int arrived = 0;
    MPI_Status probed;
    check(MPI_Iprobe(from, kMessageTag, MPI_COMM_WORLD, &arrived, &probed), what);
    if (arrived) return receive_probed(probed, what);
    if (polls > 2000) std::this_thread::sleep_for(std::chrono::microseconds(200));
    if ((polls & 63) == 0 && std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr,
                   "trigml: rank %d of %d: no message from rank %d for '%.*s' within %lld s "
                   "(TRIGML_DIST_TIMEOUT): a rank is stuck or lost; ending the job\n",
                   world_rank, world_size, from, static_cast<int>(what.size()), what.data(),
                   static_cast<long long>(timeout.count()));
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
}

std::optional<Message> try_receive(std::string_view what) {
  if (world_size == 1) return std::nullopt;
  int arrived = 0;
  MPI_Status probed;
  check(MPI_Iprobe(MPI_ANY_SOURCE, kMessageTag, MPI_COMM_WORLD, &arrived, &probed), what);
  if (!arrived) return std::nullopt;
  return Message{probed.MPI_SOURCE, receive_probed(probed, what)};
}

void abort_job(int code) {
  std::fflush(stderr);
  if (joined) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace trigml::dist
