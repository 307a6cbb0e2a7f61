// A deflate decoder (RFC 1951) that keeps nothing it decodes: it only needs the
// codes' lengths to know where each block ends. Huffman codes up to fast_bits
// long decode with one table look-up, longer ones bit by bit (puff's canonical
// walk); libdeflate's streams are mostly short codes, so a multi-megabyte piece
// scans in a few milliseconds.
#include "deflate_block_scan.hpp"

#include <array>
#include <cstring>
#include <string>

#include "kmq/error.hpp"

namespace kmq::io::detail {
namespace {

constexpr int max_code_bits = 15;
constexpr int fast_bits = 11;

[[noreturn]] void malformed(const std::string& what) {
  throw error(error_kind::internal, "deflate block scan: " + what + " (the encoder's own stream is malformed)");
}

std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint8_t b[8];
  std::memcpy(b, p, 8);
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];  // one load on little-endian machines
  return v;
}

// libdeflate's own bit buffer: refilled a word at a time, so that one refill
// serves a whole length/distance pair (at most 48 bits).
class bit_reader {
 public:
  bit_reader(const std::uint8_t* data, std::size_t size) : begin_(data), next_(data), end_(data + size) {}

  // At least 56 valid bits after this; past the end they are zeros, counted,
  // so that a stream that runs on is caught (at most 8 such bytes).
  void refill() {
    if (end_ - next_ >= 8) {
      // Bits above the count repeat the next byte's own bits: OR-ing them in
      // again at the next refill changes nothing.
      buf_ |= load_le64(next_) << avail_;
      next_ += (63 - avail_) >> 3;
      avail_ |= 56;
      return;
    }
    while (avail_ <= 56) {
      std::uint64_t byte = 0;
      if (next_ < end_) byte = *next_++;
      else if (++past_end_ > 8) malformed("it runs past its " + std::to_string(end_ - begin_) + " bytes");
      buf_ |= byte << avail_;
      avail_ += 8;
    }
  }
  void ensure(unsigned n) {
    if (avail_ < n) refill();
  }
  std::uint64_t buffer() const { return buf_; }
  void skip(unsigned n) {
    buf_ >>= n;
    avail_ -= n;
  }
  std::uint32_t bits(unsigned n) {
    ensure(n);
    const auto v = static_cast<std::uint32_t>(buf_ & ((std::uint64_t{1} << n) - 1));
    skip(n);
    return v;
  }
  std::uint64_t position() const {
    return (static_cast<std::uint64_t>(next_ - begin_) + past_end_) * 8 - avail_;
  }
  void check_inside() const {
    if (position() > static_cast<std::uint64_t>(end_ - begin_) * 8)
      malformed("it runs past its " + std::to_string(end_ - begin_) + " bytes");
  }
  // A stored block: to the next byte, LEN and NLEN, then LEN bytes unread.
  void skip_stored_block() {
    skip(avail_ & 7u);
    const std::uint32_t length = bits(16);
    if ((length ^ bits(16)) != 0xffffu) malformed("a stored block's length and its complement disagree");
    const std::uint64_t byte = position() / 8 + length;
    if (byte > static_cast<std::uint64_t>(end_ - begin_)) malformed("a stored block past the end");
    next_ = begin_ + byte;
    buf_ = 0;
    avail_ = 0;
    past_end_ = 0;
  }

 private:
  const std::uint8_t* begin_;
  const std::uint8_t* next_;
  const std::uint8_t* end_;
  std::uint64_t buf_ = 0;
  unsigned avail_ = 0;
  unsigned past_end_ = 0;
};

// Table entries: (symbol << 8) | (extra bits << 4) | code length; 0 = a code
// longer than fast_bits. The scanner skips a symbol's extra bits with its code.
struct huffman {
  std::array<std::uint32_t, std::size_t{1} << fast_bits> fast{};
  std::array<std::uint16_t, max_code_bits + 1> count{};
  std::array<std::int32_t, max_code_bits + 1> first_code{};   // canonical code of each length's first symbol
  std::array<std::int32_t, max_code_bits + 1> first_index{};  // where that symbol is in symbol
  std::array<std::uint16_t, 288> symbol{};  // by code length, then by symbol: canonical order
  const std::uint8_t* extra = nullptr;      // extra bits after each symbol
};

struct extra_bits {
  std::uint8_t no_extra[288] = {};
  std::uint8_t length[288] = {};   // symbols 265-284 (lengths 11-257)
  std::uint8_t distance[32] = {};  // symbols 4-29
  constexpr extra_bits() {
    for (int s = 265; s < 285; ++s) length[s] = static_cast<std::uint8_t>((s - 261) / 4);
    for (int d = 4; d < 30; ++d) distance[d] = static_cast<std::uint8_t>(d / 2 - 1);
  }
};
constexpr extra_bits extra_of;
constexpr const std::uint8_t* no_extra = extra_of.no_extra;
constexpr const std::uint8_t* length_extra = extra_of.length;
constexpr const std::uint8_t* distance_extra = extra_of.distance;

// Incomplete codes are allowed (a single distance code is); a look-up that
// falls in their gap fails in decode().
void build(huffman& h, const std::uint8_t* lengths, int n, const std::uint8_t* extra) {
  h.extra = extra;
  h.fast.fill(0);
  h.count.fill(0);
  for (int s = 0; s < n; ++s) ++h.count[lengths[s]];
  h.count[0] = 0;
  int left = 1;
  for (int len = 1; len <= max_code_bits; ++len) {
    left = (left << 1) - h.count[len];
    if (left < 0) malformed("an over-subscribed Huffman code");
  }
  std::array<int, max_code_bits + 2> offset{};
  for (int len = 1; len <= max_code_bits; ++len) offset[len + 1] = offset[len] + h.count[len];
  for (int s = 0; s < n; ++s)
    if (lengths[s] != 0) h.symbol[static_cast<std::size_t>(offset[lengths[s]]++)] = static_cast<std::uint16_t>(s);
  for (int len = 1, code = 0, index = 0; len <= max_code_bits; ++len) {
    h.first_code[static_cast<std::size_t>(len)] = code;
    h.first_index[static_cast<std::size_t>(len)] = index;
    code = (code + h.count[static_cast<std::size_t>(len)]) << 1;
    index += h.count[static_cast<std::size_t>(len)];
  }
  unsigned code = 0;
  std::size_t index = 0;
  for (int len = 1; len <= fast_bits; ++len) {
    for (int j = 0; j < h.count[len]; ++j, ++code) {
      unsigned reversed = 0;  // codes are sent first bit first, the reader's bits are lowest first
      for (int b = 0; b < len; ++b) reversed |= ((code >> b) & 1u) << (len - 1 - b);
      const std::uint32_t s = h.symbol[index++];
      const std::uint32_t entry = (s << 8) | (std::uint32_t{extra[s]} << 4) | static_cast<std::uint32_t>(len);
      for (unsigned k = reversed; k < h.fast.size(); k += 1u << len) h.fast[k] = entry;
    }
    code <<= 1;
  }
}

// The first fast_bits bits as a code (first bit highest), for the long codes.
struct bit_reversal {
  std::uint16_t of[std::size_t{1} << fast_bits] = {};
  constexpr bit_reversal() {
    for (unsigned v = 0; v < (1u << fast_bits); ++v)
      for (int b = 0; b < fast_bits; ++b) of[v] |= static_cast<std::uint16_t>(((v >> b) & 1u) << (fast_bits - 1 - b));
  }
};
constexpr bit_reversal reversed_bits;

// The symbol's table entry; the caller has at least 15 bits in the buffer.
std::uint32_t decode(std::uint64_t ahead, const huffman& h) {
  const std::size_t low = ahead & (h.fast.size() - 1);
  const std::uint32_t entry = h.fast[low];
  if (entry != 0) return entry;
  // Longer than the table: canonical codes of one length are consecutive, so
  // one comparison a length from fast_bits + 1 on (puff's walk, less its start).
  std::int32_t code = reversed_bits.of[low];
  for (int len = fast_bits + 1; len <= max_code_bits; ++len) {
    code = (code << 1) | static_cast<std::int32_t>((ahead >> (len - 1)) & 1u);
    const auto l = static_cast<std::size_t>(len);
    const std::int32_t offset = code - h.first_code[l];
    if (offset >= 0 && offset < h.count[l]) {
      const std::uint32_t s = h.symbol[static_cast<std::size_t>(h.first_index[l] + offset)];
      return (s << 8) | (std::uint32_t{h.extra[s]} << 4) | static_cast<std::uint32_t>(len);
    }
  }
  malformed("a Huffman code that is not in its table");
}

unsigned bits_of(std::uint32_t entry) { return (entry & 15u) + ((entry >> 4) & 15u); }

// Walks one Huffman-coded block's symbols up to and including end-of-block.
void skip_symbols(bit_reader& in, const huffman& literal_length, const huffman& distance) {
  for (;;) {
    in.ensure(48);  // a length code with its extra bits, a distance code with its extra bits
    const std::uint32_t symbol_entry = decode(in.buffer(), literal_length);
    in.skip(bits_of(symbol_entry));
    const std::uint32_t symbol = symbol_entry >> 8;
    if (symbol < 256) continue;
    if (symbol == 256) return;
    if (symbol > 285) malformed("length symbol " + std::to_string(symbol));
    const std::uint32_t distance_entry = decode(in.buffer(), distance);
    if ((distance_entry >> 8) > 29) malformed("distance symbol " + std::to_string(distance_entry >> 8));
    in.skip(bits_of(distance_entry));
  }
}

struct fixed_codes {
  huffman literal_length;
  huffman distance;
  fixed_codes() {
    std::uint8_t lengths[288];
    std::memset(lengths, 8, 144);
    std::memset(lengths + 144, 9, 112);
    std::memset(lengths + 256, 7, 24);
    std::memset(lengths + 280, 8, 8);
    build(literal_length, lengths, 288, length_extra);
    std::memset(lengths, 5, 32);
    build(distance, lengths, 32, distance_extra);
  }
};

void read_dynamic_codes(bit_reader& in, huffman& literal_length, huffman& distance) {
  static constexpr std::uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  const int literals = static_cast<int>(in.bits(5)) + 257;
  const int distances = static_cast<int>(in.bits(5)) + 1;
  const int code_lengths = static_cast<int>(in.bits(4)) + 4;
  if (literals > 286 || distances > 30) malformed("too many literal/length or distance codes");
  std::uint8_t lengths[286 + 30] = {};
  for (int i = 0; i < code_lengths; ++i) lengths[order[i]] = static_cast<std::uint8_t>(in.bits(3));
  huffman length_code;
  build(length_code, lengths, 19, no_extra);
  std::memset(lengths, 0, sizeof lengths);
  for (int i = 0; i < literals + distances;) {
    in.ensure(max_code_bits);
    const std::uint32_t entry = decode(in.buffer(), length_code);
    in.skip(entry & 15u);
    const std::uint32_t symbol = entry >> 8;
    if (symbol < 16) {
      lengths[i++] = static_cast<std::uint8_t>(symbol);
      continue;
    }
    std::uint8_t value = 0;
    int repeat = 0;
    if (symbol == 16) {
      if (i == 0) malformed("a repeat with no length before it");
      value = lengths[i - 1];
      repeat = 3 + static_cast<int>(in.bits(2));
    } else if (symbol == 17) {
      repeat = 3 + static_cast<int>(in.bits(3));
    } else {
      repeat = 11 + static_cast<int>(in.bits(7));
    }
    if (i + repeat > literals + distances) malformed("code lengths past the table's end");
    while (repeat-- > 0) lengths[i++] = value;
  }
  if (lengths[256] == 0) malformed("a block with no end-of-block code");
  build(literal_length, lengths, literals, length_extra);
  build(distance, lengths + literals, distances, distance_extra);
}

}  // namespace

deflate_block_scan scan_deflate_blocks(const std::uint8_t* data, std::size_t size) {
  static const fixed_codes fixed;
  bit_reader in(data, size);
  huffman literal_length;
  huffman distance;
  deflate_block_scan scan;
  for (;;) {
    const std::uint64_t header = in.position();
    const bool final = in.bits(1) != 0;
    const std::uint32_t type = in.bits(2);
    if (type == 0) {
      in.skip_stored_block();
    } else if (type == 1) {
      skip_symbols(in, fixed.literal_length, fixed.distance);
    } else if (type == 2) {
      read_dynamic_codes(in, literal_length, distance);
      skip_symbols(in, literal_length, distance);
    } else {
      malformed("block type 3");
    }
    ++scan.blocks;
    in.check_inside();
    if (final) {
      scan.last_header_bit = header;
      scan.end_bit = in.position();
      return scan;
    }
  }
}

}  // namespace kmq::io::detail
