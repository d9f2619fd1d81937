// TUNE_DIR/report.html: the trials ranked by validation loss, a parallel-coordinates plot of the
// parameters against it and the learning curves of the best trials (cairo PNGs, also written beside
// the page as parallel_coordinates.png and learning_curves.png).
#pragma once

#include <filesystem>
#include <vector>

#include "tune/space.hpp"
#include "tune/tuner.hpp"

namespace trigml::tune {

void write_tune_report(const std::filesystem::path& out, const Space& space, const TuneOptions& options,
                       const TuneSummary& summary);

}  // namespace trigml::tune
