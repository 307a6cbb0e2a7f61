#include "html_text.hpp"

#include <cmath>
#include <cstdio>

namespace kmq::report {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab and newline are not allowed in HTML text.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += "\xef\xbf\xbd";
        else out += c;
    }
  }
  return out;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (two ? std::uint32_t{bytes[i + 1]} << 8 : 0u);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += two ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string png_data_uri(const std::vector<std::uint8_t>& png) { return "data:image/png;base64," + base64(png); }

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string grouped(std::uint64_t value) {
  std::string digits = std::to_string(value);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
  return digits;
}

std::string byte_size(std::uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  const char* units[] = {"kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes) / 1000.0;
  int unit = 0;
  while (value >= 999.95 && unit < 3) value /= 1000.0, ++unit;
  return fixed(value, value < 9.995 ? 2 : value < 99.95 ? 1 : 0) + " " + units[unit];
}

std::string colours(std::size_t n) { return std::to_string(n) + (n == 1 ? " colour" : " colours"); }

std::string compact(double value) {
  if (value == 0) return "0";
  const double magnitude = std::fabs(value);
  const char* suffix = "";
  double scaled = value;
  if (magnitude >= 1e12) scaled = value / 1e12, suffix = "T";
  else if (magnitude >= 1e9) scaled = value / 1e9, suffix = "G";
  else if (magnitude >= 1e6) scaled = value / 1e6, suffix = "M";
  else if (magnitude >= 1e3) scaled = value / 1e3, suffix = "k";  // "5k" beside "10k", not "5e+03"
  char text[64];
  std::snprintf(text, sizeof text, "%.3g%s", scaled, suffix);
  return text;
}

std::string percent(double fraction, int decimals) {
  // A share that is there but rounds to nothing (158 B of 1.1 MB) is not "0.0 %".
  const double least = std::pow(10.0, -decimals);
  if (fraction > 0 && 100.0 * fraction < least / 2) return "<\xc2\xa0" + fixed(least, decimals) + "\xc2\xa0%";
  return fixed(100.0 * fraction, decimals) + "\xc2\xa0%";
}

std::string seconds_text(double seconds) {
  if (seconds >= 1.0) return fixed(seconds, 2) + " s";
  if (seconds >= 1e-3) return fixed(seconds * 1e3, seconds >= 0.1 ? 0 : 1) + " ms";
  return fixed(seconds * 1e6, 0) + " \xc2\xb5s";
}

std::string hex_colour(packed_rgba colour) {
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", channel_of(colour, 0), channel_of(colour, 1), channel_of(colour, 2));
  return text;
}

std::string rgb_text(packed_rgba colour) {
  std::string text = "rgb(" + std::to_string(channel_of(colour, 0)) + ", " + std::to_string(channel_of(colour, 1)) +
                     ", " + std::to_string(channel_of(colour, 2)) + ")";
  if (alpha_of(colour) < 255) text += " \xc2\xb7 \xce\xb1 " + std::to_string(alpha_of(colour));
  return text;
}

std::string css_colour(packed_rgba colour) {
  if (alpha_of(colour) == 255) return hex_colour(colour);
  return "rgba(" + std::to_string(channel_of(colour, 0)) + "," + std::to_string(channel_of(colour, 1)) + "," +
         std::to_string(channel_of(colour, 2)) + "," + fixed(alpha_of(colour) / 255.0, 3) + ")";
}

std::string base_name(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const std::size_t slash = trimmed.find_last_of('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

}  // namespace kmq::report
