// Writes 8-bit RGB or RGBA PNGs (heatmaps, overlays). The file appears atomically: the data goes to
// `path + ".tmp"`, which is renamed over `path` only once complete, so readers never see half a file.
#pragma once

#include <cstdint>
#include <string>

namespace ss::image {

// `pixels` holds height rows of width*channels bytes (HWC, no padding); channels is 3 or 4.
// Throws ss::Error naming `path` when the arguments are invalid or the file cannot be written.
void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels);

}  // namespace ss::image
