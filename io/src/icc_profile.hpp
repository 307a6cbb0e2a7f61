// Embedded ICC colour profiles, found in a file's bytes without decoding it.
// Internal to kmq_io. Every reader is bounds-checked against untrusted input
// and gives an empty vector when there is no profile or it is malformed or
// incomplete: a profile we cannot trust is dropped, never an error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kmq::io::detail {

// The most we accept: JPEG's APP2 chain cannot hold more than 255 x 65519
// bytes either, and real profiles are a few kilobytes to a few megabytes.
constexpr std::size_t max_icc_profile_bytes = std::size_t{1} << 24;

// A profile's own header agrees with it: at least the 128-byte header and the
// tag count, the header's size field equal to its length, the 'acsp'
// signature, and a tag table that fits.
bool plausible_icc_profile(const std::uint8_t* data, std::size_t size);

// APP2 "ICC_PROFILE\0" segments before the first scan, joined in the order of
// their sequence numbers; all of 1..count must be there exactly once.
std::vector<std::uint8_t> jpeg_icc_profile(const std::uint8_t* data, std::size_t size);

// The profile an iCCP chunk's data holds (its name, compression method and
// zlib stream), inflated and checked; empty when it holds none. The PNG's
// chunks are walked, and the CRC checked, by read_png_extras (png_decoder.cpp).
std::vector<std::uint8_t> png_iccp_profile(const std::uint8_t* body, std::size_t length);

// The RIFF "ICCP" chunk before the image data.
std::vector<std::uint8_t> webp_icc_profile(const std::uint8_t* data, std::size_t size);

}  // namespace kmq::io::detail
