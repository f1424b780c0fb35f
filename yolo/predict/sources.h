// What `yolo predict --source` accepts, resolved like the reference's LoadImagesAndVideos: one image
// file, a folder (its image files, sorted), or a .txt list (one path a line, sorted, relative paths
// tried against the cwd and then the list's folder; folders in the list are expanded). Only names with
// the reference's image suffixes are kept. Defines list_image_sources and is_image_suffix.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace ye::yolo {

// bmp, dng, jpeg, jpg, mpo, png, tif, tiff, webp, pfm, heic (case-insensitive).
bool is_image_suffix(const std::string& path);

// Throws ye::Error naming the source when it does not exist or yields no image. Entries of a list that
// do not exist are reported through `log` and skipped.
std::vector<std::string> list_image_sources(const std::string& source,
                                            const std::function<void(const std::string&)>& log = {});

}  // namespace ye::yolo
