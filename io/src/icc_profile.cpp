#include "icc_profile.hpp"

#include "byte_order.hpp"
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace kmq::io::detail {
namespace {


std::vector<std::uint8_t> checked(std::vector<std::uint8_t> profile) {
  if (!plausible_icc_profile(profile.data(), profile.size())) return {};
  return profile;
}

// zlib data to at most max_icc_profile_bytes; empty when it is corrupt, cut
// short or larger.
std::vector<std::uint8_t> inflate_profile(const std::uint8_t* data, std::size_t size) {
  if (size > UINT32_MAX) return {};
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return {};
  std::vector<std::uint8_t> out;
  stream.next_in = const_cast<Bytef*>(data);  // zlib's API is not const, but inflate only reads it
  stream.avail_in = static_cast<uInt>(size);
  int status = Z_OK;
  while (status == Z_OK) {
    if (out.size() >= max_icc_profile_bytes) break;
    const std::size_t have = out.size();
    const std::size_t room = std::min<std::size_t>(std::size_t{1} << 16, max_icc_profile_bytes - have);
    out.resize(have + room);
    stream.next_out = out.data() + have;
    stream.avail_out = static_cast<uInt>(room);
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(have + room - stream.avail_out);
  }
  inflateEnd(&stream);
  // Z_BUF_ERROR: the data ended before the stream did; Z_OK here: over the limit.
  if (status != Z_STREAM_END) return {};
  return out;
}

}  // namespace

bool plausible_icc_profile(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 132 || size > max_icc_profile_bytes) return false;
  if (be32(data) != size || std::memcmp(data + 36, "acsp", 4) != 0) return false;
  const std::uint64_t tags = be32(data + 128);
  return tags <= (size - 132) / 12;
}

std::vector<std::uint8_t> jpeg_icc_profile(const std::uint8_t* d, std::size_t n) {
  static const std::uint8_t signature[12] = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0};
  struct piece {
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
  };
  std::vector<piece> pieces;  // by sequence number - 1
  std::size_t count = 0;
  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return {};
  std::size_t pos = 2;
  for (;;) {
    // Fill bytes may precede a marker; anything else between segments ends the walk.
    if (pos >= n || d[pos] != 0xFF) break;
    while (pos < n && d[pos] == 0xFF) ++pos;
    if (pos >= n) break;
    const std::uint8_t marker = d[pos++];
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length field
    if (marker == 0xDA || marker == 0xD9 || marker == 0xD8 || marker == 0x00) break;  // a scan, the end
    if (pos + 2 > n) break;
    const std::size_t length = be16(d + pos);
    if (length < 2 || length > n - pos) break;
    const std::uint8_t* body = d + pos + 2;
    const std::size_t body_size = length - 2;
    if (marker == 0xE2 && body_size >= 14 && std::memcmp(body, signature, 12) == 0) {
      const std::size_t sequence = body[12], total = body[13];
      if (total == 0 || sequence == 0 || sequence > total || (count != 0 && total != count)) return {};
      count = total;
      pieces.resize(count);
      if (pieces[sequence - 1].data != nullptr) return {};  // the same piece twice
      pieces[sequence - 1] = piece{body + 14, body_size - 14};
    }
    pos += length;
  }
  std::vector<std::uint8_t> profile;
  for (const piece& p : pieces) {
    if (p.data == nullptr) return {};  // a piece is missing
    profile.insert(profile.end(), p.data, p.data + p.size);
  }
  return checked(std::move(profile));
}

std::vector<std::uint8_t> png_iccp_profile(const std::uint8_t* body, std::size_t length) {
  // Profile name (1-79 bytes), NUL, compression method 0 (zlib), the data.
  const void* nul = std::memchr(body, 0, std::min<std::size_t>(length, 80));
  if (nul == nullptr) return {};
  const std::size_t name_size = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - body);
  if (name_size == 0 || name_size + 2 > length || body[name_size + 1] != 0) return {};
  return checked(inflate_profile(body + name_size + 2, length - name_size - 2));
}

std::vector<std::uint8_t> webp_icc_profile(const std::uint8_t* d, std::size_t n) {
  if (n < 12 || std::memcmp(d, "RIFF", 4) != 0 || std::memcmp(d + 8, "WEBP", 4) != 0) return {};
  // The RIFF size counts from byte 8; a file may hold less than it claims.
  const std::size_t end = std::min<std::uint64_t>(n, std::uint64_t{le32(d + 4)} + 8);
  std::size_t pos = 12;
  while (end >= 8 && pos <= end - 8) {
    const std::uint8_t* fourcc = d + pos;
    const std::size_t size = le32(d + pos + 4);
    if (size > end - pos - 8) return {};
    // The profile comes before the image data (WebP container specification).
    if (std::memcmp(fourcc, "VP8 ", 4) == 0 || std::memcmp(fourcc, "VP8L", 4) == 0 ||
        std::memcmp(fourcc, "ALPH", 4) == 0 || std::memcmp(fourcc, "ANMF", 4) == 0)
      return {};
    if (std::memcmp(fourcc, "ICCP", 4) == 0) return checked(std::vector<std::uint8_t>(d + pos + 8, d + pos + 8 + size));
    pos += 8 + size + (size & 1);  // chunks are padded to an even size
  }
  return {};
}

}  // namespace kmq::io::detail
