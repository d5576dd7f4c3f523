#include "nn/state_dict.h"

#include "io/checkpoint.h"
#include "util/error.h"

namespace ss::nn {

at::ScalarType to_scalar_type(io::DType t) {
  switch (t) {
    case io::DType::BOOL: return at::kBool;
    case io::DType::U8: return at::kByte;
    case io::DType::I8: return at::kChar;
    case io::DType::I16: return at::kShort;
    case io::DType::F16: return at::kHalf;
    case io::DType::BF16: return at::kBFloat16;
    case io::DType::I32: return at::kInt;
    case io::DType::F32: return at::kFloat;
    case io::DType::F64: return at::kDouble;
    case io::DType::I64: return at::kLong;
    case io::DType::U16:
    case io::DType::U32:
    case io::DType::U64: break;
  }
  throw Error(std::string("dtype ") + io::dtype_name(t) + " has no torch equivalent");
}

io::DType to_dtype(at::ScalarType t) {
  switch (t) {
    case at::kBool: return io::DType::BOOL;
    case at::kByte: return io::DType::U8;
    case at::kChar: return io::DType::I8;
    case at::kShort: return io::DType::I16;
    case at::kHalf: return io::DType::F16;
    case at::kBFloat16: return io::DType::BF16;
    case at::kInt: return io::DType::I32;
    case at::kFloat: return io::DType::F32;
    case at::kDouble: return io::DType::F64;
    case at::kLong: return io::DType::I64;
    default: break;
  }
  throw Error(std::string("cannot store torch dtype ") + c10::toString(t));
}

at::Tensor to_tensor(const io::RawTensor& raw) {
  const at::ScalarType st = to_scalar_type(raw.dtype);
  const size_t elem = io::dtype_size(raw.dtype);
  if (raw.nbytes == 0) return at::empty(raw.shape, at::TensorOptions().dtype(st));
  if (reinterpret_cast<uintptr_t>(raw.data) % elem == 0) {
    auto owner = raw.owner;  // the deleter keeps the mapping alive as long as the tensor
    return at::from_blob(const_cast<uint8_t*>(raw.data), raw.shape, [owner](void*) {},
                         at::TensorOptions().dtype(st));
  }
  // Third-party writers may not align tensors; copy those into aligned memory.
  at::Tensor t = at::empty(raw.shape, at::TensorOptions().dtype(st));
  std::memcpy(t.data_ptr(), raw.data, raw.nbytes);
  return t;
}

io::RawTensor to_raw(const std::string& name, const at::Tensor& t) {
  at::Tensor c = t.detach().to(at::kCPU).contiguous();
  io::RawTensor raw;
  raw.name = name;
  raw.dtype = to_dtype(c.scalar_type());
  raw.shape = c.sizes().vec();
  raw.data = static_cast<const uint8_t*>(c.data_ptr());
  raw.nbytes = c.numel() * c.element_size();
  raw.owner = std::make_shared<at::Tensor>(c);
  return raw;
}

StateDict load_state_dict(const std::filesystem::path& path) {
  StateDict sd;
  for (const auto& raw : io::read_checkpoint(path)) sd.emplace(raw.name, to_tensor(raw));
  return sd;
}

}  // namespace ss::nn
