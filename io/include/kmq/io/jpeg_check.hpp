// A structural walk over a JPEG file, because libjpeg (through OpenCV) only
// warns about a file cut short and hands back an image filled with grey where
// the data ran out: we would quietly compress a damaged picture.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace kmq::io {

// Walks the marker segments from SOI through every scan (entropy-coded data
// with FF00 stuffing and RST0-7 markers; progressive and multi-scan files go
// on to the next scan) to EOI. Returns an empty string when the structure is
// complete, else a short reason such as "truncated JPEG (no end-of-image
// marker)". It does not decode the entropy-coded data, so damage inside a scan
// that keeps the structure intact goes unnoticed.
std::string jpeg_structure_problem(const std::uint8_t* data, std::size_t size);

}  // namespace kmq::io
