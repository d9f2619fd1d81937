#include <algorithm>
#include <numeric>

#include "common/error.hpp"
#include "dist/dist.hpp"

namespace trigml::dist {

std::vector<int> assign_by_weight(std::span<const uint64_t> weights, int ranks) {
  if (ranks < 1) throw InternalError("work splitter: a group has at least one rank");
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return weights[a] > weights[b]; });
  std::vector<uint64_t> load(static_cast<size_t>(ranks), 0);
  std::vector<int> owner(weights.size(), 0);
  for (size_t item : order) {
    const auto lightest = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    owner[item] = static_cast<int>(lightest);
    load[lightest] += weights[item];
  }
  return owner;
}

Range contiguous_share(std::span<const uint64_t> weights, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw InternalError(fmt::format("work splitter: rank {} of {} does not exist", rank, ranks));
  const uint64_t total = std::accumulate(weights.begin(), weights.end(), uint64_t{0});
  // Where the shares of ranks 0 … r − 1 end: after the item whose running total comes nearest to
  // r / ranks of the sum (ties: the earlier item), in integers so every rank computes the same cut
  // (weights are entries or rows, far below 2^64 / ranks).
  auto cut = [&](int r) -> size_t {
    if (r == ranks) return weights.size();
    const uint64_t target = total * static_cast<uint64_t>(r);
    uint64_t before = 0;  // running total of the items before i, times ranks
    for (size_t i = 0; i < weights.size(); ++i) {
      const uint64_t after = before + weights[i] * static_cast<uint64_t>(ranks);
      if (after >= target) return after - target < target - before ? i + 1 : i;
      before = after;
    }
    return weights.size();
  };
  return {cut(rank), cut(rank + 1)};
}

Range even_share(size_t count, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw InternalError(fmt::format("work splitter: rank {} of {} does not exist", rank, ranks));
  const auto r = static_cast<size_t>(rank), n = static_cast<size_t>(ranks);
  const size_t base = count / n, extra = count % n;
  const size_t first = r * base + std::min(r, extra);
  return {first, first + base + (r < extra ? 1 : 0)};
}

}  // namespace trigml::dist
