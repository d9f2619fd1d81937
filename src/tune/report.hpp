// TUNE_DIR/report.html: the trials ranked by validation loss, a parallel-coordinates plot of the
// parameters against it and the learning curves of the best trials (cairo PNGs, also written beside
// the page as parallel_coordinates.png and learning_curves.png).
#pragma once

#include <filesystem>
#include <vector>

#include "eval/plots.hpp"
#include "tune/space.hpp"
#include "tune/tuner.hpp"

namespace trigml::tune {

// One parameter's axis of the parallel-coordinates plot, `values` one per trial. A choice is
// categorical, its values evenly spaced in the space file's order (learning rates 1e-3, 3e-3, 1e-2
// are three steps, not two lines crowded at the foot of a linear axis); a log-uniform range is
// logarithmic, a uniform one linear.
eval::ParallelAxis parallel_axis(const Parameter& p, const std::vector<nlohmann::json>& values);

void write_tune_report(const std::filesystem::path& out, const Space& space, const TuneOptions& options,
                       const TuneSummary& summary);

}  // namespace trigml::tune
