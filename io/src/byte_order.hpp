// Unsigned integers read from file bytes, big- and little-endian, whatever the
// machine's order. The caller checks the bounds: every file here is untrusted.
#pragma once
#include <cstdint>

namespace kmq::io::detail {

inline std::uint32_t be16(const std::uint8_t* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
inline std::uint32_t le16(const std::uint8_t* p) { return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8); }
inline std::uint32_t be32(const std::uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
inline std::uint32_t le32(const std::uint8_t* p) { return le16(p) | (le16(p + 2) << 16); }
inline std::uint32_t le24(const std::uint8_t* p) { return le16(p) | (std::uint32_t{p[2]} << 16); }

}  // namespace kmq::io::detail
