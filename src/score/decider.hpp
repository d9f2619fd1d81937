// One path from a raw event to a decision, shared by `trigml score` and `trigml serve` (and the
// same steps as ingest → prepare → evaluate): the selection and features (physics::FeatureBuilder,
// as ingest computes them), the model's preprocessing.json scaling and ΔR sort
// (prepare::EventTransform), the classifier, softmax, and an accept rule on the probabilities.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "physics/features.hpp"
#include "prepare/transform.hpp"
#include "train/model_dir.hpp"

namespace trigml::score {

// The classes, in the model's output order: the p_<class> columns and the decision's keys.
inline constexpr std::array<std::string_view, 3> kClasses = {"qcd", "ttbar", "wjets"};

// "ttbar+wjets>0.9": the sum of the named classes' probabilities compared with a threshold
// (> or >=). An event that fails the selection is never accepted.
struct AcceptRule {
  std::array<bool, kClasses.size()> summed{};
  bool or_equal = false;
  double threshold = 0.5;
  std::string text;

  // UsageError naming the rule and what was expected.
  static AcceptRule parse(const std::string& text);
  bool accepts(std::span<const float> probabilities) const;
};
inline constexpr const char* kDefaultAcceptRule = "ttbar+wjets>0.5";

struct Decision {
  physics::Rejection rejection = physics::Rejection::None;  // None: selected
  std::array<float, kClasses.size()> probabilities{};       // when selected
  bool accept = false;
  bool selected() const { return rejection == physics::Rejection::None; }
};

class Decider {
 public:
  // `selection` is the input schema's (its b-tag threshold); `particle_flow` whether the inputs have
  // particle-flow candidates (Delphes) or not (NanoAOD: the lepton alone as particle).
  Decider(const train::ModelDirectory& model, AcceptRule accept, physics::SelectionConfig selection = {});
  // "<architecture>-<weight digest>": names the weights that made a decision.
  const std::string& model_id() const { return model_id_; }
  const AcceptRule& accept_rule() const { return accept_; }

  // Decides every event of a batch (out.size() == events.size()); the selected ones go through the
  // classifier together. Buffers are reused from batch to batch.
  void decide(std::span<const physics::EventInput> events, bool particle_flow, std::span<Decision> out);
  // Runs the classifier once on `events` made-up events of the longest kind, so that the first real
  // batch does not wait for the network's first call (oneDNN's kernels, the buffers): a service
  // calls it before taking events.
  void warm_up(size_t events);

 private:
  model::Classifier classifier_;
  prepare::EventTransform transform_;
  physics::FeatureBuilder builder_;
  AcceptRule accept_;
  std::string model_id_;
  physics::EventFeatures features_;
  model::Batch batch_;
  std::vector<size_t> selected_;  // positions in the batch of the events the classifier sees
  std::vector<float> probabilities_;
};

}  // namespace trigml::score
