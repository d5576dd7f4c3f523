#include "nn/layers.h"

#include "util/error.h"

namespace ss::nn {

at::Tensor activate(const at::Tensor& x, Activation a) {
  switch (a) {
    case Activation::Gelu: return at::gelu(x);
    case Activation::QuickGelu: return x * at::sigmoid(1.702 * x);  // OpenAI CLIP's QuickGELU
    case Activation::GeluTanh: return at::gelu(x, "tanh");          // GPT-2 gelu_new
  }
  return x;
}

// A bf16 residual stream loses too much: the fixtures' features drift to cosine 0.96 against float32.
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (w.scalar_type() == x.scalar_type())
    return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
  at::Tensor y = at::linear(x.to(w.scalar_type()), w).to(x.scalar_type());
  return b.defined() ? y + b : y;
}

at::Tensor take_weight(const std::map<std::string, at::Tensor>& w, const std::string& name,
                       std::vector<int64_t> shape, bool optional) {
  auto it = w.find(name);
  if (it == w.end()) {
    if (optional) return {};
    throw Error("tensor " + name + " missing");
  }
  if (it->second.sizes().vec() != shape)
    throw Error("tensor " + name + " has shape " + c10::str(it->second.sizes()) + ", expected " +
                c10::str(at::IntArrayRef(shape)));
  return it->second.to(at::kFloat).contiguous();
}

}  // namespace ss::nn
