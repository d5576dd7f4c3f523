#include "nn/lm_inputs.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "io/safetensors.h"
#include "nn/state_dict.h"
#include "util/error.h"

namespace ss::nn {

std::vector<int64_t> read_ids_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  // A safetensors file starts with an 8-byte header length and then '{'; anything else is text.
  char head[9] = {};
  in.read(head, 9);
  const bool text = !(in.gcount() == 9 && head[8] == '{');
  if (!text) {
    const auto file = io::SafetensorsFile::open(path);
    const io::RawTensor* raw = file.find("input_ids");
    if (!raw) throw Error(path + ": neither whitespace-separated ids nor a safetensors file with input_ids");
    const at::Tensor t = to_tensor(*raw).to(at::kDouble).flatten();
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double v = t[i].item<double>();
      if (v != std::floor(v) || v < 0 || v > 1e9) throw Error(path + ": input_ids[" + std::to_string(i) + "] = " +
                                                             std::to_string(v) + " is not a token id");
      ids.push_back(static_cast<int64_t>(v));
    }
    return ids;
  }
  std::vector<int64_t> ids;
  for (const auto& line : read_id_lines(path)) ids.insert(ids.end(), line.begin(), line.end());
  return ids;
}

std::vector<std::vector<int64_t>> read_id_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
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
