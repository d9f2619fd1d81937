#include "tune/asha.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace trigml::tune {

std::vector<int> rung_epochs(const AshaSettings& s) {
  if (s.min_epochs < 1)
    throw UsageError(fmt::format("--min-epochs must be at least 1 (got {})", s.min_epochs));
  if (s.reduction_factor < 2)
    throw UsageError(fmt::format("--reduction-factor must be at least 2 (got {})", s.reduction_factor));
  if (s.max_epochs <= s.min_epochs)
    throw UsageError(
        fmt::format("asha needs --max-epochs ({}) above --min-epochs ({}): there is no rung to stop at",
                    s.max_epochs, s.min_epochs));
  std::vector<int> rungs;
  for (long long epoch = s.min_epochs; epoch < s.max_epochs; epoch *= s.reduction_factor)
    rungs.push_back(static_cast<int>(epoch));
  return rungs;
}

SuccessiveHalving::SuccessiveHalving(AshaSettings settings)
    : settings_(settings), rungs_(rung_epochs(settings)) {}

bool SuccessiveHalving::decide(int trial, int epoch, double score) {
  if (std::find(rungs_.begin(), rungs_.end(), epoch) == rungs_.end()) return true;
  size_t arrived = 1, better = 0;
  for (const auto& d : decisions_) {
    if (d.epoch != epoch) continue;
    if (d.trial == trial) return d.keep;
    ++arrived;
    if (d.score <= score) ++better;  // ties go to the trial that arrived first
  }
  const size_t kept = std::max<size_t>(1, arrived / static_cast<size_t>(settings_.reduction_factor));
  const bool keep = better < kept;
  decisions_.push_back({trial, epoch, score, keep});
  return keep;
}

void SuccessiveHalving::restore(const std::vector<RungDecision>& decisions) {
  decisions_ = decisions;
}

}  // namespace trigml::tune
