// Asynchronous successive halving (ASHA, Li et al. 2020, in the stopping form of Ray Tune's
// AsyncHyperBandScheduler): rungs at min_epochs · η^k epochs below max_epochs. A trial that reaches a
// rung is ranked against the trials that reached it before; it goes on only if it is among the best
// ⌊n/η⌋ of those n (itself included; the first to arrive always goes on), otherwise it stops and its
// slot goes to a new trial. Pure bookkeeping: no training here.
#pragma once

#include <vector>

namespace trigml::tune {

struct AshaSettings {
  int min_epochs = 1;
  int reduction_factor = 3;  // η
  int max_epochs = 9;
};

// The rung epochs, ascending: min_epochs, min_epochs·η, ... while below max_epochs.
std::vector<int> rung_epochs(const AshaSettings& settings);

struct RungDecision {
  int trial = 0;
  int epoch = 0;      // the rung's epoch
  double score = 0;   // the trial's lowest validation loss up to that epoch
  bool keep = false;  // false: the trial stopped there
};

class SuccessiveHalving {
 public:
  explicit SuccessiveHalving(AshaSettings settings);
  // Trial `trial` finished epoch `epoch` with `score` (lower is better): may it train on? Always
  // true between rungs. A decision once made is returned again for the same trial and rung (a resumed
  // trial repeats the epoch it was killed in).
  bool decide(int trial, int epoch, double score);
  // Every decision in the order made, for the tuner's state file; restore() replays them.
  const std::vector<RungDecision>& decisions() const { return decisions_; }
  void restore(const std::vector<RungDecision>& decisions);
  const AshaSettings& settings() const { return settings_; }

 private:
  AshaSettings settings_;
  std::vector<int> rungs_;
  std::vector<RungDecision> decisions_;
};

}  // namespace trigml::tune
