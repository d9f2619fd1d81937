#include "eval/plots.hpp"

#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace trigml::eval {

namespace {

constexpr int kWidth = 900, kHeight = 700;
constexpr const char* kFont = "DejaVu Sans";

struct Color {
  double r, g, b;
};
// Matplotlib's "tab10": distinguishable, and familiar to physicists.
constexpr std::array<Color, 6> kPalette = {{{0.122, 0.467, 0.706},
                                            {1.000, 0.498, 0.055},
                                            {0.173, 0.627, 0.173},
                                            {0.839, 0.153, 0.157},
                                            {0.580, 0.404, 0.741},
                                            {0.549, 0.337, 0.294}}};
constexpr Color kBlack{0.1, 0.1, 0.1}, kGrid{0.88, 0.88, 0.88}, kMinorGrid{0.95, 0.95, 0.95},
    kGray{0.55, 0.55, 0.55};

Color class_color(size_t k) {
  return kPalette[k % kPalette.size()];
}

void set_color(cairo_t* cr, Color c, double alpha = 1) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

class Canvas {
 public:
  Canvas(int width, int height)
      : surface_(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height), cairo_surface_destroy),
        context_(cairo_create(surface_.get()), cairo_destroy) {
    check("creating the image");
    cairo_set_source_rgb(cr(), 1, 1, 1);
    cairo_paint(cr());
  }
  cairo_t* cr() const { return context_.get(); }

  std::vector<std::byte> png() {
    check("drawing");
    cairo_surface_flush(surface_.get());
    std::vector<std::byte> bytes;
    auto append = [](void* closure, const unsigned char* data, unsigned int length) {
      auto* out = static_cast<std::vector<std::byte>*>(closure);
      auto* first = reinterpret_cast<const std::byte*>(data);
      out->insert(out->end(), first, first + length);
      return CAIRO_STATUS_SUCCESS;
    };
    cairo_status_t status = cairo_surface_write_to_png_stream(surface_.get(), append, &bytes);
    if (status != CAIRO_STATUS_SUCCESS)
      throw InternalError(fmt::format("cairo could not encode the PNG: {}", cairo_status_to_string(status)));
    return bytes;
  }

 private:
  void check(const char* what) const {
    cairo_status_t status = cairo_status(context_.get());
    if (status != CAIRO_STATUS_SUCCESS)
      throw InternalError(fmt::format("cairo failed {}: {}", what, cairo_status_to_string(status)));
  }
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface_;
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> context_;
};

enum class Align { Start, Center, End };

// Draws text with its box aligned to (x, y); vertical alignment uses the font's ascent and
// descent, so labels of one row share a baseline whatever their letters.
void text(cairo_t* cr, double x, double y, const std::string& s, double size, Align horizontal,
          Align vertical, bool bold = false, double angle = 0) {
  cairo_save(cr);
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, s.c_str(), &extents);
  cairo_font_extents_t font;
  cairo_font_extents(cr, &font);
  double dx = horizontal == Align::Start    ? 0
              : horizontal == Align::Center ? -extents.x_advance / 2
                                            : -extents.x_advance;
  double height = font.ascent + font.descent;
  double dy = vertical == Align::Start    ? font.ascent
              : vertical == Align::Center ? font.ascent - height / 2
                                          : -font.descent;
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  cairo_move_to(cr, dx, dy);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

double text_width(cairo_t* cr, const std::string& s, double size) {
  cairo_save(cr);
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t extents;
  cairo_text_extents(cr, s.c_str(), &extents);
  cairo_restore(cr);
  return extents.x_advance;
}

struct Rect {
  double left, top, right, bottom;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
};

// A data axis mapped onto a pixel interval.
struct Scale {
  double lo, hi;
  bool log = false;
  double pixel_lo = 0, pixel_hi = 1;

  double operator()(double v) const {
    double t =
        log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return pixel_lo + t * (pixel_hi - pixel_lo);
  }
};

struct Tick {
  double value;
  std::string label;  // empty for a minor tick
};

// Ticks at 1, 2 or 5 times a power of ten, about `target` of them in [lo, hi].
std::vector<Tick> linear_ticks(double lo, double hi, int target = 6) {
  double raw = (hi - lo) / target;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  std::vector<Tick> ticks;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    double rounded = std::fabs(v) < step * 1e-9 ? 0.0 : v;
    ticks.push_back({rounded, fmt::format("{:.{}f}", rounded, decimals)});
  }
  return ticks;
}

std::string power_of_ten(int exponent) {
  static constexpr std::array<const char*, 10> kDigits = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  if (exponent == 0) return "1";
  std::string s = "10";
  if (exponent < 0) s += "⁻";
  for (char c : std::to_string(std::abs(exponent))) s += kDigits[static_cast<size_t>(c - '0')];
  return s;
}

// Decades labelled, 2..9 times each decade as minor ticks.
std::vector<Tick> log_ticks(double lo, double hi) {
  std::vector<Tick> ticks;
  for (int e = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
       e <= static_cast<int>(std::ceil(std::log10(hi))); ++e)
    for (int m = 1; m <= 9; ++m) {
      double v = m * std::pow(10.0, e);
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
      ticks.push_back({v, m == 1 ? power_of_ten(e) : std::string()});
    }
  return ticks;
}

struct Axes {
  Rect area;
  Scale x, y;
  std::vector<Tick> x_ticks, y_ticks;
};

Axes make_axes(Rect area, Scale x, Scale y) {
  x.pixel_lo = area.left, x.pixel_hi = area.right;
  y.pixel_lo = area.bottom, y.pixel_hi = area.top;
  Axes a{area, x, y, {}, {}};
  a.x_ticks = x.log ? log_ticks(x.lo, x.hi) : linear_ticks(x.lo, x.hi);
  a.y_ticks = y.log ? log_ticks(y.lo, y.hi) : linear_ticks(y.lo, y.hi);
  return a;
}

// Grid, frame, ticks, tick labels, axis labels and the title.
void draw_axes(cairo_t* cr, const Axes& a, const std::string& title, const std::string& x_label,
               const std::string& y_label) {
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  // Grid lines first, under everything; minor ones fainter.
  for (bool minor : {true, false}) {
    set_color(cr, minor ? kMinorGrid : kGrid);
    cairo_set_line_width(cr, 1);
    for (const Tick& t : a.x_ticks) {
      if (t.label.empty() != minor) continue;
      double px = std::round(a.x(t.value)) + 0.5;
      cairo_move_to(cr, px, a.area.top);
      cairo_line_to(cr, px, a.area.bottom);
    }
    for (const Tick& t : a.y_ticks) {
      if (t.label.empty() != minor) continue;
      double py = std::round(a.y(t.value)) + 0.5;
      cairo_move_to(cr, a.area.left, py);
      cairo_line_to(cr, a.area.right, py);
    }
    cairo_stroke(cr);
  }
  set_color(cr, kBlack);
  cairo_set_line_width(cr, 1.2);
  cairo_rectangle(cr, a.area.left, a.area.top, a.area.width(), a.area.height());
  cairo_stroke(cr);
  constexpr double kTickFont = 14;
  double widest_y_label = 0;
  for (const Tick& t : a.x_ticks) {
    double px = a.x(t.value), length = t.label.empty() ? 3 : 6;
    cairo_move_to(cr, px, a.area.bottom);
    cairo_line_to(cr, px, a.area.bottom + length);
    if (!t.label.empty()) text(cr, px, a.area.bottom + 9, t.label, kTickFont, Align::Center, Align::Start);
  }
  for (const Tick& t : a.y_ticks) {
    double py = a.y(t.value), length = t.label.empty() ? 3 : 6;
    cairo_move_to(cr, a.area.left, py);
    cairo_line_to(cr, a.area.left - length, py);
    if (!t.label.empty()) {
      text(cr, a.area.left - 9, py, t.label, kTickFont, Align::End, Align::Center);
      widest_y_label = std::max(widest_y_label, text_width(cr, t.label, kTickFont));
    }
  }
  cairo_stroke(cr);
  text(cr, (a.area.left + a.area.right) / 2, a.area.bottom + 36, x_label, 16, Align::Center, Align::Start);
  text(cr, a.area.left - 20 - widest_y_label, (a.area.top + a.area.bottom) / 2, y_label, 16, Align::Center,
       Align::End, false, -std::numbers::pi / 2);
  text(cr, (a.area.left + a.area.right) / 2, a.area.top - 16, title, 20, Align::Center, Align::End, true);
}

// Strokes a polyline in data coordinates, clipped to the plot area. Points closer than half a
// pixel to the last drawn one are skipped: a curve of a million points costs what its pixels do.
class Polyline {
 public:
  Polyline(cairo_t* cr, const Axes& a) : cr_(cr), axes_(a) {}
  void add(double x, double y) {
    double px = axes_.x(x), py = axes_.y(y);
    if (started_ && std::fabs(px - last_x_) < 0.5 && std::fabs(py - last_y_) < 0.5) {
      pending_ = true, pending_x_ = px, pending_y_ = py;
      return;
    }
    line_to(px, py);
  }
  void stroke(Color color, double width, bool dashed = false) {
    if (pending_) line_to(pending_x_, pending_y_);
    // cairo_clip consumes the current path: set the clip first, then put the line back.
    std::unique_ptr<cairo_path_t, decltype(&cairo_path_destroy)> path(cairo_copy_path(cr_),
                                                                      cairo_path_destroy);
    cairo_new_path(cr_);
    cairo_save(cr_);
    cairo_rectangle(cr_, axes_.area.left, axes_.area.top, axes_.area.width(), axes_.area.height());
    cairo_clip(cr_);
    cairo_append_path(cr_, path.get());
    set_color(cr_, color);
    cairo_set_line_width(cr_, width);
    cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
    if (dashed) {
      std::array<double, 2> dashes = {7, 5};
      cairo_set_dash(cr_, dashes.data(), static_cast<int>(dashes.size()), 0);
    }
    cairo_stroke(cr_);
    cairo_restore(cr_);
  }

 private:
  void line_to(double px, double py) {
    if (started_)
      cairo_line_to(cr_, px, py);
    else
      cairo_move_to(cr_, px, py);
    started_ = true, pending_ = false, last_x_ = px, last_y_ = py;
  }
  cairo_t* cr_;
  const Axes& axes_;
  bool started_ = false, pending_ = false;
  double last_x_ = 0, last_y_ = 0, pending_x_ = 0, pending_y_ = 0;
};

struct LegendEntry {
  std::string label;
  Color color;
  bool dashed = false;
  bool marker = false;
};

enum class Corner { LowerRight, UpperRight };

void draw_legend(cairo_t* cr, const Axes& a, const std::vector<LegendEntry>& entries, Corner corner) {
  constexpr double kFontSize = 15, kRow = 24, kPad = 10, kSample = 34;
  double width = 0;
  for (const auto& e : entries) width = std::max(width, text_width(cr, e.label, kFontSize));
  width += kSample + 3 * kPad;
  double height = kRow * static_cast<double>(entries.size()) + kPad;
  double left = a.area.right - 12 - width;
  double top = corner == Corner::LowerRight ? a.area.bottom - 12 - height : a.area.top + 12;
  cairo_rectangle(cr, left, top, width, height);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_fill_preserve(cr);
  set_color(cr, {0.75, 0.75, 0.75});
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (size_t i = 0; i < entries.size(); ++i) {
    double y = top + kPad / 2 + kRow * (static_cast<double>(i) + 0.5);
    cairo_save(cr);
    set_color(cr, entries[i].color);
    cairo_set_line_width(cr, 2.5);
    if (entries[i].dashed) {
      std::array<double, 2> dashes = {7, 5};
      cairo_set_dash(cr, dashes.data(), static_cast<int>(dashes.size()), 0);
    }
    cairo_move_to(cr, left + kPad, y);
    cairo_line_to(cr, left + kPad + kSample, y);
    cairo_stroke(cr);
    if (entries[i].marker) {
      cairo_arc(cr, left + kPad + kSample / 2, y, 4, 0, 2 * std::numbers::pi);
      cairo_fill(cr);
    }
    cairo_restore(cr);
    set_color(cr, kBlack);
    text(cr, left + 2 * kPad + kSample, y, entries[i].label, kFontSize, Align::Start, Align::Center);
  }
}

constexpr Rect kPlotArea{100, 70, kWidth - 40, kHeight - 85};

// The smallest nonzero FPR of any curve, rounded down to a decade, within [1e-6, 1e-2].
double log_fpr_floor(const Metrics& m) {
  double smallest = 1;
  for (const ClassMetrics& c : m.classes)
    for (double f : c.roc.fpr)
      if (f > 0) smallest = std::min(smallest, f);
  return std::clamp(std::pow(10.0, std::floor(std::log10(smallest) + 1e-9)), 1e-6, 1e-2);
}

}  // namespace

std::vector<std::byte> plot_roc(const Metrics& m, FprAxis axis) {
  Canvas canvas(kWidth, kHeight);
  cairo_t* cr = canvas.cr();
  bool log = axis == FprAxis::Log;
  double x_lo = log ? log_fpr_floor(m) : 0;
  Axes a = make_axes(kPlotArea, Scale{x_lo, 1, log}, Scale{0, 1, false});
  draw_axes(
      cr, a,
      log ? "ROC curves, one class against the rest (log scale)" : "ROC curves, one class against the rest",
      "false-positive rate (background efficiency)", "signal efficiency (true-positive rate)");
  std::vector<LegendEntry> legend;
  // A classifier that guesses: TPR = FPR, a curve of its own on the log axis.
  Polyline guess(cr, a);
  constexpr int kGuessPoints = 200;
  for (int i = 0; i <= kGuessPoints; ++i) {
    double t = static_cast<double>(i) / kGuessPoints;
    double f = log ? std::pow(10.0, std::log10(x_lo) * (1 - t)) : t;
    guess.add(f, f);
  }
  guess.stroke(kGray, 1.5, true);
  for (size_t k = 0; k < m.classes.size(); ++k) {
    const RocCurve& roc = m.classes[k].roc;
    Polyline line(cr, a);
    if (!log) {
      for (size_t i = 0; i < roc.size(); ++i) line.add(roc.fpr[i], roc.tpr[i]);
    } else {
      // A straight segment in linear FPR bends on a log axis: sample it finely enough that the
      // drawn curve is the one the working points are interpolated on.
      constexpr double kStepsPerDecade = 50;
      for (size_t i = 1; i < roc.size(); ++i) {
        double f0 = roc.fpr[i - 1], f1 = roc.fpr[i];
        if (f1 < x_lo) continue;
        double start = std::max(f0, x_lo);
        int steps =
            std::max(1, static_cast<int>(std::ceil((std::log10(f1) - std::log10(start)) * kStepsPerDecade)));
        for (int s = 0; s <= steps; ++s) {
          double f = std::pow(10.0, std::log10(start) + (std::log10(f1) - std::log10(start)) * s / steps);
          double t =
              f1 == f0 ? roc.tpr[i] : roc.tpr[i - 1] + (roc.tpr[i] - roc.tpr[i - 1]) * (f - f0) / (f1 - f0);
          line.add(f, t);
        }
      }
    }
    line.stroke(class_color(k), 2.5);
    legend.push_back({fmt::format("{} (AUC = {:.4f})", m.classes[k].name, m.classes[k].auc), class_color(k)});
  }
  legend.push_back({"random guess", kGray, true});
  draw_legend(cr, a, legend, Corner::LowerRight);
  return canvas.png();
}

std::vector<std::byte> plot_confusion_matrix(const Metrics& m) {
  const size_t classes = m.class_names.size();
  Canvas canvas(kWidth, kHeight);
  cairo_t* cr = canvas.cr();
  constexpr double kTop = 90, kLeft = 170, kSide = 520;
  const double cell = kSide / static_cast<double>(classes);
  // White to a saturated blue: the fraction of the true class predicted as each class.
  auto shade = [](double v) {
    Color light{0.97, 0.98, 1.0}, dark{0.03, 0.19, 0.42};
    return Color{light.r + (dark.r - light.r) * v, light.g + (dark.g - light.g) * v,
                 light.b + (dark.b - light.b) * v};
  };
  for (size_t t = 0; t < classes; ++t)
    for (size_t p = 0; p < classes; ++p) {
      double v = m.confusion_normalized[t][p];
      double x = kLeft + cell * static_cast<double>(p), y = kTop + cell * static_cast<double>(t);
      set_color(cr, shade(v));
      // Without antialiasing, cells that meet at fractional pixels leave no seam between them.
      cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
      cairo_rectangle(cr, x, y, cell, cell);
      cairo_fill(cr);
      cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
      Color ink = v > 0.5 ? Color{1, 1, 1} : kBlack;
      set_color(cr, ink);
      text(cr, x + cell / 2, y + cell / 2 - 2, fmt::format("{:.3f}", v), 24, Align::Center, Align::End, true);
      text(cr, x + cell / 2, y + cell / 2 + 4, fmt::format("({} events)", m.confusion[t][p]), 14,
           Align::Center, Align::Start);
    }
  set_color(cr, kBlack);
  cairo_set_line_width(cr, 1.2);
  cairo_rectangle(cr, kLeft, kTop, kSide, kSide);
  cairo_stroke(cr);
  for (size_t k = 0; k < classes; ++k) {
    double center = cell * (static_cast<double>(k) + 0.5);
    text(cr, kLeft + center, kTop + kSide + 10, m.class_names[k], 16, Align::Center, Align::Start);
    text(cr, kLeft - 12, kTop + center, m.class_names[k], 16, Align::End, Align::Center);
  }
  text(cr, kLeft + kSide / 2, kTop + kSide + 42, "predicted class", 16, Align::Center, Align::Start);
  text(cr, kLeft - 100, kTop + kSide / 2, "true class", 16, Align::Center, Align::End, false,
       -std::numbers::pi / 2);
  text(cr, kWidth / 2.0, kTop - 40, "Confusion matrix, normalised by true class", 20, Align::Center,
       Align::End, true);
  text(cr, kWidth / 2.0, kTop - 14, fmt::format("{} events, accuracy {:.4f}", m.events, m.accuracy), 14,
       Align::Center, Align::End);
  // Colour bar.
  constexpr double kBarLeft = kLeft + kSide + 40, kBarWidth = 24;
  std::unique_ptr<cairo_pattern_t, decltype(&cairo_pattern_destroy)> gradient(
      cairo_pattern_create_linear(0, kTop + kSide, 0, kTop), cairo_pattern_destroy);
  for (double v : {0.0, 1.0}) {
    Color c = shade(v);
    cairo_pattern_add_color_stop_rgb(gradient.get(), v, c.r, c.g, c.b);
  }
  cairo_set_source(cr, gradient.get());
  cairo_rectangle(cr, kBarLeft, kTop, kBarWidth, kSide);
  cairo_fill(cr);
  set_color(cr, kBlack);
  cairo_rectangle(cr, kBarLeft, kTop, kBarWidth, kSide);
  for (const Tick& t : linear_ticks(0, 1, 4)) {
    double y = kTop + kSide * (1 - t.value);
    cairo_move_to(cr, kBarLeft + kBarWidth, y);
    cairo_line_to(cr, kBarLeft + kBarWidth + 5, y);
    text(cr, kBarLeft + kBarWidth + 9, y, t.label, 14, Align::Start, Align::Center);
  }
  cairo_stroke(cr);
  return canvas.png();
}

std::vector<std::byte> plot_history(const std::vector<HistoryRow>& history, HistoryQuantity quantity) {
  if (history.empty()) throw UsageError("no training history to plot");
  bool loss = quantity == HistoryQuantity::Loss;
  auto train = [&](const HistoryRow& r) { return loss ? r.loss : r.accuracy; };
  auto validation = [&](const HistoryRow& r) { return loss ? r.val_loss : r.val_accuracy; };
  double lo = INFINITY, hi = -INFINITY, first_epoch = INFINITY, last_epoch = -INFINITY;
  bool has_validation = false;
  for (const HistoryRow& r : history) {
    first_epoch = std::min(first_epoch, static_cast<double>(r.epoch));
    last_epoch = std::max(last_epoch, static_cast<double>(r.epoch));
    for (std::optional<double> v : {std::optional(train(r)), validation(r)}) {
      if (!v || !std::isfinite(*v)) continue;
      lo = std::min(lo, *v), hi = std::max(hi, *v);
    }
    has_validation |= validation(r).has_value();
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;  // every value NaN: empty axes rather than none
  double margin = std::max((hi - lo) * 0.08, 1e-3 * std::max(1.0, std::fabs(hi)));
  Axes a = make_axes(kPlotArea, Scale{first_epoch - 0.5, last_epoch + 0.5, false},
                     Scale{lo - margin, hi + margin, false});
  // Epochs are whole numbers: keep only the whole ticks.
  std::erase_if(a.x_ticks, [](const Tick& t) { return std::fabs(t.value - std::round(t.value)) > 1e-9; });
  for (Tick& t : a.x_ticks) t.label = fmt::format("{}", static_cast<long>(std::round(t.value)));
  Canvas canvas(kWidth, kHeight);
  cairo_t* cr = canvas.cr();
  draw_axes(cr, a, loss ? "Loss per epoch" : "Accuracy per epoch", "epoch", loss ? "loss" : "accuracy");
  std::vector<LegendEntry> legend;
  auto draw_series = [&](auto value_of, Color color, const std::string& label) {
    // A NaN (a diverged epoch) interrupts the line instead of being drawn.
    std::unique_ptr<Polyline> line;
    std::vector<std::pair<double, double>> markers;
    auto finish = [&] {
      if (line) line->stroke(color, 2.5);
      line.reset();
    };
    for (const HistoryRow& r : history) {
      std::optional<double> v = value_of(r);
      if (!v || !std::isfinite(*v)) {
        finish();
        continue;
      }
      if (!line) line = std::make_unique<Polyline>(cr, a);
      line->add(r.epoch, *v);
      markers.emplace_back(a.x(r.epoch), a.y(*v));
    }
    finish();
    set_color(cr, color);
    for (auto [px, py] : markers) {
      cairo_new_sub_path(cr);
      cairo_arc(cr, px, py, 4, 0, 2 * std::numbers::pi);
    }
    cairo_fill(cr);
    legend.push_back({label, color, false, true});
  };
  draw_series([&](const HistoryRow& r) { return std::optional(train(r)); }, class_color(0), "training");
  if (has_validation) draw_series(validation, class_color(1), "validation");
  draw_legend(cr, a, legend, loss ? Corner::UpperRight : Corner::LowerRight);
  return canvas.png();
}

std::vector<std::byte> plot_curves(const std::vector<Curve>& curves, const std::string& title,
                                   const std::string& y_label) {
  double lo = INFINITY, hi = -INFINITY, first = INFINITY, last = -INFINITY;
  for (const Curve& c : curves)
    for (auto [x, y] : c.points) {
      if (!std::isfinite(y)) continue;
      first = std::min(first, x), last = std::max(last, x);
      lo = std::min(lo, y), hi = std::max(hi, y);
    }
  if (!std::isfinite(lo)) throw UsageError("no curve has a point to plot");
  double margin = std::max((hi - lo) * 0.08, 1e-3 * std::max(1.0, std::fabs(hi)));
  Axes a =
      make_axes(kPlotArea, Scale{first - 0.5, last + 0.5, false}, Scale{lo - margin, hi + margin, false});
  std::erase_if(a.x_ticks, [](const Tick& t) { return std::fabs(t.value - std::round(t.value)) > 1e-9; });
  for (Tick& t : a.x_ticks) t.label = fmt::format("{}", static_cast<long>(std::round(t.value)));
  Canvas canvas(kWidth, kHeight);
  cairo_t* cr = canvas.cr();
  draw_axes(cr, a, title, "epoch", y_label);
  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < curves.size(); ++i) {
    Polyline line(cr, a);
    for (auto [x, y] : curves[i].points)
      if (std::isfinite(y)) line.add(x, y);
    line.stroke(class_color(i), 2.5);
    set_color(cr, class_color(i));
    for (auto [x, y] : curves[i].points) {
      if (!std::isfinite(y)) continue;
      cairo_new_sub_path(cr);
      cairo_arc(cr, a.x(x), a.y(y), 3.5, 0, 2 * std::numbers::pi);
    }
    cairo_fill(cr);
    legend.push_back({curves[i].label, class_color(i), false, true});
  }
  draw_legend(cr, a, legend, Corner::UpperRight);
  return canvas.png();
}

std::vector<std::byte> plot_parallel_coordinates(const std::vector<ParallelAxis>& parameters,
                                                 const ParallelAxis& score) {
  std::vector<const ParallelAxis*> axes;
  for (const auto& p : parameters) axes.push_back(&p);
  axes.push_back(&score);
  const size_t runs = score.values.size();
  if (runs == 0) throw UsageError("no runs to plot");
  for (const auto* axis : axes)
    if (axis->values.size() != runs)
      throw InternalError(fmt::format("parallel coordinates: axis '{}' has {} values for {} runs", axis->name,
                                      axis->values.size(), runs));
  // Each axis's range; a categorical one spans its labels, a constant one gets a unit around it.
  struct Range {
    double lo, hi;
  };
  std::vector<Range> ranges;
  for (const auto* axis : axes) {
    double lo = INFINITY, hi = -INFINITY;
    if (!axis->labels.empty()) {
      lo = 0, hi = static_cast<double>(axis->labels.size() - 1);
    } else {
      for (double v : axis->values)
        if (std::isfinite(v) && (!axis->log || v > 0)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (!(hi > lo)) axis->log ? (lo /= 2, hi *= 2) : (lo -= 0.5, hi += 0.5);
    ranges.push_back({lo, hi});
  }
  const Rect area{70, 90, kWidth - 70, kHeight - 110};
  const auto x_of = [&](size_t k) {
    return axes.size() == 1
               ? (area.left + area.right) / 2
               : area.left + area.width() * static_cast<double>(k) / static_cast<double>(axes.size() - 1);
  };
  const auto y_of = [&](size_t k, double v) {
    const auto& r = ranges[k];
    const double t = axes[k]->log ? (std::log10(v) - std::log10(r.lo)) / (std::log10(r.hi) - std::log10(r.lo))
                                  : (v - r.lo) / (r.hi - r.lo);
    return area.bottom - t * area.height();
  };
  Canvas canvas(kWidth, kHeight);
  cairo_t* cr = canvas.cr();
  set_color(cr, kBlack);
  text(cr, (area.left + area.right) / 2, 40, "Parameters against " + score.name, 20, Align::Center,
       Align::End, true);
  // Runs from the worst score to the best, so that the best lie on top; colour from light to dark.
  std::vector<size_t> order(runs);
  for (size_t i = 0; i < runs; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double sa = std::isfinite(score.values[a]) ? score.values[a] : INFINITY;
    const double sb = std::isfinite(score.values[b]) ? score.values[b] : INFINITY;
    return sa > sb;
  });
  constexpr Color kBest{0.05, 0.15, 0.55}, kWorst{0.80, 0.86, 0.95};
  for (size_t rank = 0; rank < runs; ++rank) {
    const size_t run = order[rank];
    const double t = runs == 1 ? 1 : static_cast<double>(rank) / static_cast<double>(runs - 1);
    set_color(cr, {kWorst.r + (kBest.r - kWorst.r) * t, kWorst.g + (kBest.g - kWorst.g) * t,
                   kWorst.b + (kBest.b - kWorst.b) * t});
    cairo_set_line_width(cr, rank + 1 == runs ? 3.5 : 1.6);
    bool started = false;
    for (size_t k = 0; k < axes.size(); ++k) {
      const double v = axes[k]->values[run];
      if (!std::isfinite(v) || (axes[k]->log && v <= 0)) {
        started = false;
        continue;
      }
      if (started)
        cairo_line_to(cr, x_of(k), y_of(k, v));
      else
        cairo_move_to(cr, x_of(k), y_of(k, v));
      started = true;
    }
    cairo_stroke(cr);
  }
  // The axes over the lines: a spine, ticks with labels, the name below.
  for (size_t k = 0; k < axes.size(); ++k) {
    const double x = x_of(k);
    set_color(cr, kBlack);
    cairo_set_line_width(cr, 1.2);
    cairo_move_to(cr, x, area.top);
    cairo_line_to(cr, x, area.bottom);
    cairo_stroke(cr);
    std::vector<Tick> ticks;
    if (!axes[k]->labels.empty()) {
      for (size_t i = 0; i < axes[k]->labels.size(); ++i)
        ticks.push_back({static_cast<double>(i), axes[k]->labels[i]});
    } else {
      ticks =
          axes[k]->log ? log_ticks(ranges[k].lo, ranges[k].hi) : linear_ticks(ranges[k].lo, ranges[k].hi, 5);
      if (axes[k]->log &&
          std::none_of(ticks.begin(), ticks.end(), [](const Tick& t) { return !t.label.empty(); }))
        ticks = {{ranges[k].lo, fmt::format("{:.3g}", ranges[k].lo)},
                 {ranges[k].hi, fmt::format("{:.3g}", ranges[k].hi)}};
    }
    for (const Tick& t : ticks) {
      if (t.value < ranges[k].lo * (1 - 1e-9) - 1e-12 || t.value > ranges[k].hi * (1 + 1e-9) + 1e-12)
        continue;
      const double y = y_of(k, t.value);
      cairo_move_to(cr, x - (t.label.empty() ? 3 : 5), y);
      cairo_line_to(cr, x, y);
      cairo_stroke(cr);
      if (!t.label.empty()) text(cr, x - 7, y, t.label, 12, Align::End, Align::Center);
    }
    text(cr, x, area.bottom + 14, axes[k]->name, 14, Align::Center, Align::Start, k + 1 == axes.size());
  }
  return canvas.png();
}

void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

}  // namespace trigml::eval
