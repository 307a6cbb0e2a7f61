#include "kmq/io/jpeg_check.hpp"

#include <cstring>

namespace kmq::io {
namespace {

constexpr std::uint8_t soi = 0xD8, eoi = 0xD9, sos = 0xDA;

bool is_restart(std::uint8_t marker) { return marker >= 0xD0 && marker <= 0xD7; }

bool is_start_of_frame(std::uint8_t marker) {
  // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) which share the range.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Skips entropy-coded data from pos. Returns the offset of the FF that starts
// the next real marker, or size when the data runs out first. Inside a scan
// FF00 is a stuffed data byte, FFD0-FFD7 are restart markers that belong to
// the scan, and a run of FF is fill before a marker.
std::size_t skip_scan_data(const std::uint8_t* data, std::size_t size, std::size_t pos) {
  while (pos < size) {
    const void* found = std::memchr(data + pos, 0xFF, size - pos);
    if (found == nullptr) return size;
    pos = static_cast<std::size_t>(static_cast<const std::uint8_t*>(found) - data);
    if (pos + 1 >= size) return size;
    const std::uint8_t next = data[pos + 1];
    if (next == 0x00 || is_restart(next)) {
      pos += 2;
    } else if (next == 0xFF) {
      pos += 1;
    } else {
      return pos;
    }
  }
  return size;
}

std::string at(const char* what, std::size_t pos) {
  return std::string(what) + " at byte " + std::to_string(pos) + ")";
}

}  // namespace

std::string jpeg_structure_problem(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 2 || data[0] != 0xFF || data[1] != soi) return "not a JPEG (no start-of-image marker)";
  bool have_frame = false, have_scan = false;
  std::size_t pos = 2;
  while (pos < size) {
    // Stray bytes between segments: libjpeg skips them with a warning and so do we.
    if (data[pos] != 0xFF) {
      const void* next = std::memchr(data + pos, 0xFF, size - pos);
      if (next == nullptr) break;
      pos = static_cast<std::size_t>(static_cast<const std::uint8_t*>(next) - data);
    }
    const std::size_t marker_at = pos;
    while (pos < size && data[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= size) return "truncated JPEG (ends inside a marker)";
    const std::uint8_t marker = data[pos++];
    if (marker == eoi) {
      // Anything after EOI (camera trailers, appended thumbnails) is not ours to judge.
      if (!have_scan) return "corrupt JPEG (no image data before the end-of-image marker)";
      return {};
    }
    if (marker == soi || marker == 0x00) return at("corrupt JPEG (unexpected marker", marker_at);
    if (marker == 0x01 || is_restart(marker)) continue;  // standalone markers carry no length
    if (size - pos < 2) return "truncated JPEG (ends inside a marker segment)";
    const std::size_t length = (std::size_t{data[pos]} << 8) | data[pos + 1];
    if (length < 2) return at("corrupt JPEG (bad segment length", marker_at);
    if (size - pos < length) return "truncated JPEG (ends inside a marker segment)";
    pos += length;
    if (is_start_of_frame(marker)) have_frame = true;
    if (marker == sos) {
      if (!have_frame) return at("corrupt JPEG (scan before the frame header", marker_at);
      have_scan = true;
      pos = skip_scan_data(data, size, pos);
      if (pos >= size) return "truncated JPEG (ends inside scan data)";
    }
  }
  return "truncated JPEG (no end-of-image marker)";
}

}  // namespace kmq::io
