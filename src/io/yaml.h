// YAML configuration files as JSON values, so every config reader has one code path (training
// configs may be written in either). Plain scalars become booleans, null, integers or numbers when
// they read as such (YAML 1.2 core schema); quoted scalars stay strings.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ss::io {

// Throws ss::Error "<path>: <line>:<column>: <what>" for unreadable or malformed YAML, and for
// anchors/aliases nested deeper than 64 levels.
nlohmann::json read_yaml_file(const std::string& path);
nlohmann::json parse_yaml(const std::string& text, const std::string& where);

}  // namespace ss::io
