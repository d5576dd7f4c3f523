// Element types as the safetensors spec names them; shared by every file reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ss::io {

enum class DType { BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

// Bytes per element.
size_t dtype_size(DType t);
// The safetensors spelling ("F32", "BF16", ...).
const char* dtype_name(DType t);
// Parses a safetensors dtype string; nullopt when unknown.
std::optional<DType> dtype_from_name(const std::string& name);

}  // namespace ss::io
