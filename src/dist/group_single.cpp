// The group of one, for a build without MPI.
#include <cstdio>
#include <cstdlib>

#include "common/error.hpp"
#include "dist/dist.hpp"

namespace trigml::dist {

bool built_with_mpi() {
  return false;
}

Session::Session(int&, char**&) {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* value = std::getenv(name);
    if (value && std::strtol(value, nullptr, 10) > 1)
      throw UsageError(
          fmt::format("started as one of {} processes ({}), but this trigml was built without "
                      "MPI: rebuild with TRIGML_WITH_MPI=ON, or run one process",
                      value, name));
  }
}

Session::~Session() = default;

int rank() {
  return 0;
}

int size() {
  return 1;
}

void barrier(std::string_view) {}
void all_reduce_sum(std::span<double>, std::string_view) {}
void all_reduce_sum(std::span<float>, std::string_view) {}

std::vector<std::string> all_gather(std::string_view bytes, std::string_view) {
  return {std::string(bytes)};
}

std::string broadcast(std::string_view bytes, std::string_view) {
  return std::string(bytes);
}

void send(int to, std::string_view, std::string_view what) {
  throw InternalError(fmt::format("'{}': a group of one has no rank {} to send to", what, to));
}

std::string receive(int from, std::string_view what) {
  throw InternalError(fmt::format("'{}': a group of one has no rank {} to receive from", what, from));
}

std::optional<Message> try_receive(std::string_view) {
  return std::nullopt;
}

Alone::Alone() = default;
Alone::~Alone() = default;

void abort_job(int code) {
  std::fflush(stderr);
  std::_Exit(code);
}

}  // namespace trigml::dist
