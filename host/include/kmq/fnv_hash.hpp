// FNV-1a, 64 bits: a short, stable name for a string (a manifest's settings,
// an over-long output name's temporary). Not for security.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace kmq {

inline std::uint64_t fnv1a_64(const std::string& text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

// The hash as 16 lower-case hex digits.
inline std::string fnv1a_64_hex(const std::string& text) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a_64(text)));
  return hex;
}

}  // namespace kmq
