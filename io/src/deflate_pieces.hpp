// One zlib stream compressed on several cores (pigz's scheme, with
// libdeflate): the raw bytes cut into pieces of a fixed size, each compressed
// on its own, joined so that the stream continues from piece to piece.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "deflate_block_scan.hpp"

namespace kmq::io::detail {

// Raw bytes a piece holds. Fixed, never derived from the thread count or the
// machine, so that the bytes are the same everywhere. Chosen by
// bench/png_pieces.cpp (results/png_pieces.md): big enough that the pieces'
// lost history and extra block headers cost little (see bench/NOTES.md,
// "PNG encoding"), small enough that a 4K image has a piece for every core.
constexpr std::size_t deflate_piece_bytes = std::size_t{1} << 19;

// The zlib stream of raw[0, size) at libdeflate level 0-12. size <= piece_bytes:
// one libdeflate_zlib_compress call, byte for byte. Larger: pieces of
// piece_bytes (the last shorter) compressed on min(threads, pieces) threads,
// threads 0 = every core. The bytes depend on raw, level and piece_bytes only.
// Throws error(internal) or std::bad_alloc; a worker's exception comes back
// to the caller after every worker has stopped.
std::vector<std::uint8_t> zlib_compress_pieces(const std::uint8_t* raw, std::size_t size, int level,
                                               std::size_t piece_bytes, unsigned threads);

// Appends piece (a raw deflate stream whose last block, as scan found it, has
// BFINAL set) so that a stream can go on after it: BFINAL cleared, then an
// empty stored block (header bits 000, zero bits to the byte, 00 00 FF FF),
// zlib's Z_SYNC_FLUSH marker, so that the next piece starts on a byte.
void append_continued_piece(std::vector<std::uint8_t>& out, const std::uint8_t* piece,
                            const deflate_block_scan& scan);

// The two bytes libdeflate_zlib_compress starts its stream with at level.
void append_zlib_header(std::vector<std::uint8_t>& out, int level);

}  // namespace kmq::io::detail
