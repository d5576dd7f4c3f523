// Precompiled header for every target that uses torch: ATen's headers are most of the build time.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>
