// Text for the HTML report: escaping, base64 data: URIs and the number formats
// the page uses. Internal to kmq_pipeline.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::report {

// & < > " ' as entities: safe in element content and in quoted attributes
// (HTML and XML alike).
std::string escape(const std::string& text);

std::string base64(const std::vector<std::uint8_t>& bytes);
std::string png_data_uri(const std::vector<std::uint8_t>& png);

std::string fixed(double value, int decimals);            // "27.60"
std::string grouped(std::uint64_t value);                 // "1,234,567"
std::string byte_size(std::uint64_t bytes);               // "82.4 kB" (SI units, as file managers say)
std::string colours(std::size_t n);                        // "1 colour", "16 colours"
std::string compact(double value);                        // "1.23M", "350k", "0.5": tick labels
std::string percent(double fraction, int decimals);       // 0.4583 -> "45.83 %"; 0.0001 at 1 -> "< 0.1 %"
std::string seconds_text(double seconds);                 // "0.129 s", "12 ms", "85 µs"
std::string hex_colour(packed_rgba colour);               // "#rrggbb"
std::string rgb_text(packed_rgba colour);                 // "rgb(12, 34, 56)", "rgb(12, 34, 56) · α 128"
std::string css_colour(packed_rgba colour);               // "#rrggbb", or "rgba(r,g,b,0.502)" when translucent

// The last component of a path ("a/b/c.jpg" -> "c.jpg"); "-" stays "-".
std::string base_name(const std::string& path);

}  // namespace kmq::report
