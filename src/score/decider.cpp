#include "score/decider.hpp"

#include <charconv>
#include <cmath>

#include "common/error.hpp"
#include "train/evaluate.hpp"

namespace trigml::score {

AcceptRule AcceptRule::parse(const std::string& text) {
  AcceptRule rule;
  rule.text = text;
  auto fail = [&](const std::string& why) {
    throw UsageError(
        fmt::format("accept rule '{}': {}; expected CLASS[+CLASS...]>THRESHOLD or >=, with "
                    "classes from qcd, ttbar, wjets (for example ttbar+wjets>0.9)",
                    text, why));
  };
  const size_t op = text.find('>');
  if (op == std::string::npos) fail("no '>'");
  rule.or_equal = op + 1 < text.size() && text[op + 1] == '=';
  const std::string number = text.substr(op + (rule.or_equal ? 2 : 1));
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), rule.threshold);
  if (error != std::errc() || end != number.data() + number.size() || !std::isfinite(rule.threshold))
    fail(fmt::format("'{}' is not a number", number));
  std::string_view classes(text.data(), op);
  while (true) {
    const size_t plus = classes.find('+');
    const std::string_view name = classes.substr(0, plus);
    size_t k = 0;
    while (k < kClasses.size() && kClasses[k] != name) ++k;
    if (k == kClasses.size()) fail(fmt::format("'{}' is not a class", name));
    if (rule.summed[k]) fail(fmt::format("'{}' appears twice", name));
    rule.summed[k] = true;
    if (plus == std::string_view::npos) break;
    classes.remove_prefix(plus + 1);
  }
  return rule;
}

bool AcceptRule::accepts(std::span<const float> probabilities) const {
  double sum = 0;
  for (size_t k = 0; k < kClasses.size(); ++k)
    if (summed[k]) sum += probabilities[k];
  return or_equal ? sum >= threshold : sum > threshold;
}

namespace {

void check_classes(const train::ModelDirectory& model) {
  const auto where = (model.path / "preprocessing.json").string();
  std::vector<std::string> names;
  try {
    names = model.preprocessing.at("classes").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("preprocessing record has no class list: ") + e.what(), {where});
  }
  bool same =
      names.size() == kClasses.size() && model.config.classes == static_cast<int64_t>(kClasses.size());
  for (size_t k = 0; same && k < kClasses.size(); ++k) same = names[k] == kClasses[k];
  if (!same)
    throw UsageError(fmt::format("the model classifies {} ({} outputs); scoring needs qcd, ttbar, wjets",
                                 nlohmann::json(names).dump(), model.config.classes),
                     {where});
}

}  // namespace

Decider::Decider(const train::ModelDirectory& model, AcceptRule accept, physics::SelectionConfig selection)
    : classifier_((check_classes(model), train::load_classifier(model))),
      transform_(prepare::EventTransform::from_preprocessing(model.preprocessing,
                                                             (model.path / "preprocessing.json").string())),
      builder_(selection),
      accept_(std::move(accept)),
      model_id_(model::to_string(model.config.architecture) + "-" + train::weight_digest(classifier_)) {}

void Decider::decide(std::span<const physics::EventInput> events, bool particle_flow,
                     std::span<Decision> out) {
  batch_.hlf.clear(), batch_.particles.clear(), batch_.lengths.clear();
  selected_.clear();
  for (size_t i = 0; i < events.size(); ++i) {
    out[i] = Decision{};
    out[i].rejection = builder_.select(events[i], particle_flow, features_);
    if (!out[i].selected()) continue;
    transform_.apply(features_, batch_.hlf, batch_.particles);
    batch_.lengths.push_back(static_cast<int64_t>(features_.rows()));
    selected_.push_back(i);
  }
  if (selected_.empty()) return;
  const std::vector<float> logits = classifier_.logits(batch_);
  constexpr size_t classes = kClasses.size();
  probabilities_.resize(logits.size());
  train::probabilities_from_logits(logits, classes, probabilities_);
  for (size_t j = 0; j < selected_.size(); ++j) {
    Decision& d = out[selected_[j]];
    std::copy_n(&probabilities_[j * classes], classes, d.probabilities.begin());
    d.accept = accept_.accepts(d.probabilities);
  }
}

void Decider::warm_up(size_t events) {
  if (events == 0) return;
  const model::ModelConfig& config = classifier_.config();
  const size_t longest = builder_.config().max_particles();  // rows of the particle matrix
  model::Batch b;
  b.lengths.assign(events, static_cast<int64_t>(longest));
  b.hlf.assign(events * static_cast<size_t>(config.hlf_features), 0.0F);
  b.particles.assign(events * longest * static_cast<size_t>(config.particle_features), 0.0F);
  classifier_.logits(b);
}

}  // namespace trigml::score
