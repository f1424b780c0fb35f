// write_val_plots (see val_outputs.h). Curves are drawn per class present in the GT (the reference's
// ap_per_class entries); the PR curve only for entries with predictions (its prec_values rows).
#include "yolo/val/val_outputs.h"

#include "yolo/metrics/numeric.h"
#include "yolo/run/plots.h"

namespace ye::yolo {

void write_val_plots(const DetMetrics& m, const std::vector<std::string>& names, const std::filesystem::path& dir,
                     std::vector<std::string>& files) {
  auto emit = [&](const std::string& f) { files.push_back(f); return dir / f; };
  plot_confusion_matrix(m.confusion.values(), names, false, emit("confusion_matrix.png"));
  plot_confusion_matrix(m.confusion.values(), names, true, emit("confusion_matrix_normalized.png"));

  const ApResult& ap = m.ap;
  const std::vector<double> px = ap.px.empty() ? linspace(0.0, 1.0, 1000) : ap.px;
  auto entry_name = [&](size_t ci) {
    const size_t c = size_t(ap.classes[ci]);
    return c < names.size() ? names[c] : std::to_string(c);
  };
  std::vector<std::vector<double>> pr;
  std::vector<double> pr_ap50;
  std::vector<std::string> pr_names;
  for (size_t k = 0; k < ap.pr_classes.size() && k < ap.prec_values.size(); ++k) {
    const size_t ci = size_t(ap.pr_classes[k]);
    pr.push_back(ap.prec_values[k]);
    pr_ap50.push_back(ci < m.ap50.size() ? m.ap50[ci] : 0.0);
    pr_names.push_back(entry_name(ci));
  }
  if (pr.empty()) pr.assign(1, std::vector<double>(px.size(), 0.0)), pr_ap50.assign(1, 0.0);
  plot_pr_curve(px, pr, pr_ap50, pr_names, emit("BoxPR_curve.png"));

  std::vector<std::string> entry_names;
  for (size_t ci = 0; ci < ap.classes.size(); ++ci) entry_names.push_back(entry_name(ci));
  auto curves = [&](const std::vector<std::vector<double>>& c) {
    return c.empty() ? std::vector<std::vector<double>>(1, std::vector<double>(px.size(), 0.0)) : c;
  };
  plot_metric_confidence_curve(px, curves(ap.f1_curve), entry_names, "F1", emit("BoxF1_curve.png"));
  plot_metric_confidence_curve(px, curves(ap.p_curve), entry_names, "Precision", emit("BoxP_curve.png"));
  plot_metric_confidence_curve(px, curves(ap.r_curve), entry_names, "Recall", emit("BoxR_curve.png"));
}

}  // namespace ye::yolo
