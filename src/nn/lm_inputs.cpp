#include "nn/lm_inputs.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "io/mmap_file.h"
#include "io/safetensors.h"
#include "nn/state_dict.h"
#include "util/error.h"

namespace ss::nn {

std::vector<int64_t> read_ids_file(const std::string& path) {
  // A safetensors file starts with an 8-byte header length and then '{'; anything else is text.
  const auto file = io::MmapFile::open(path);  // names a missing file or a directory
  const bool text = !(file->size() >= 9 && file->data()[8] == '{');
  std::vector<int64_t> ids;
  if (!text) {
    const auto st = io::SafetensorsFile::open(path);
    const io::RawTensor* raw = st.find("input_ids");
    if (!raw) throw Error(path + ": neither whitespace-separated ids nor a safetensors file with input_ids");
    const at::Tensor t = to_tensor(*raw).to(at::kDouble).flatten();
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double v = t[i].item<double>();
      if (v != std::floor(v) || v < 0 || v > 1e9) throw Error(path + ": input_ids[" + std::to_string(i) + "] = " +
                                                             std::to_string(v) + " is not a token id");
      ids.push_back(static_cast<int64_t>(v));
    }
  } else {
    for (const auto& line : read_id_lines(path)) ids.insert(ids.end(), line.begin(), line.end());
  }
  // Every caller needs at least one id; saying so here names the file.
  if (ids.empty())
    throw Error(path + ": no token ids (expected whitespace-separated ids or a safetensors input_ids tensor)");
  return ids;
}

std::vector<std::vector<int64_t>> read_id_lines(const std::string& path) {
  std::istringstream in(io::read_file_bytes(path));
  std::vector<std::vector<int64_t>> lines;
  std::string line, word;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    std::istringstream words(line);
    std::vector<int64_t> ids;
    while (words >> word) {
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(word.c_str(), &end, 10);
      if (*end != '\0' || v < 0 || errno != 0)
        throw Error(path + ":" + std::to_string(n) + ": '" + word + "' is not a token id");
      ids.push_back(v);
    }
    if (!ids.empty()) lines.push_back(std::move(ids));
  }
  return lines;
}

}  // namespace ss::nn
