// Where the last block of a raw deflate stream starts and where it ends, found
// by walking its blocks (stored, fixed and dynamic Huffman) without producing
// output. The piece joiner (deflate_pieces.cpp) needs both to turn a
// libdeflate stream that ends the data into one that continues: clear the last
// block's BFINAL bit and append an empty stored block after its end.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kmq::io::detail {

struct deflate_block_scan {
  std::uint64_t last_header_bit = 0;  // bit offset of the BFINAL bit of the block that has it set
  std::uint64_t end_bit = 0;          // bit offset just past that block (its end-of-block code or stored bytes)
  std::size_t blocks = 0;             // blocks walked, the last one included
};

// Bits are numbered as deflate packs them: bit i is bit (i % 8) of byte i / 8.
// Throws error(internal) on anything malformed or running past size: it only
// ever reads kmq's own libdeflate output, so such a stream is a bug.
deflate_block_scan scan_deflate_blocks(const std::uint8_t* data, std::size_t size);

}  // namespace kmq::io::detail
