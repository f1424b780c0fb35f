// The predictor's annotated image (the reference's Annotator box_label look): each box outlined in its
// class colour with line width max(round((h + w + 3) / 2 * 0.003), 2), and a filled label "name 0.87"
// above the box (inside when there is no room). Defines save_annotated.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "data/image.h"
#include "yolo/predict/predictor.h"

namespace ye::yolo {

// Draws `p` on `img` (the original image) and writes it to `out` (.jpg or .png, atomically).
void save_annotated(const data::Image& img, const ImagePrediction& p, const std::vector<std::string>& names,
                    const std::filesystem::path& out);

}  // namespace ye::yolo
