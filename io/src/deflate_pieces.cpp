// Each piece is compressed and scanned on a worker; the join (copies, one
// Adler-32 over the raw bytes) is cheap beside them and stays on the caller.
#include "deflate_pieces.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <thread>

#include "kmq/error.hpp"
#include "kmq/usable_cores.hpp"

namespace kmq::io::detail {
namespace {

struct compressor_deleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
using compressor_ptr = std::unique_ptr<libdeflate_compressor, compressor_deleter>;

compressor_ptr make_compressor(int level) {
  compressor_ptr c(libdeflate_alloc_compressor(level));
  if (!c) throw std::bad_alloc();
  return c;
}

struct compressed_piece {
  // Uninitialised on purpose: the bound's pages the output never reaches are never touched.
  std::unique_ptr<std::uint8_t[]> bytes;
  std::size_t size = 0;
  deflate_block_scan scan;
};

std::vector<std::uint8_t> one_call(const std::uint8_t* raw, std::size_t size, int level) {
  const compressor_ptr compressor = make_compressor(level);
  std::vector<std::uint8_t> out(libdeflate_zlib_compress_bound(compressor.get(), size));
  const std::size_t n = libdeflate_zlib_compress(compressor.get(), raw, size, out.data(), out.size());
  if (n == 0) throw error(error_kind::internal, "libdeflate: the compressed image did not fit its bound");
  out.resize(n);
  return out;
}

void put_u32_be(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

}  // namespace

void append_zlib_header(std::vector<std::uint8_t>& out, int level) {
  // libdeflate's level hint (FLEVEL): 0 fastest, 1 fast, 2 default, 3 slowest.
  const unsigned hint = level < 2 ? 0u : level < 6 ? 1u : level < 8 ? 2u : 3u;
  unsigned header = (0x78u << 8) | (hint << 6);  // deflate with a 32 KiB window
  header |= 31u - header % 31u;                  // FCHECK: the 16 bits are a multiple of 31
  out.push_back(static_cast<std::uint8_t>(header >> 8));
  out.push_back(static_cast<std::uint8_t>(header));
}

void append_continued_piece(std::vector<std::uint8_t>& out, const std::uint8_t* piece,
                            const deflate_block_scan& scan) {
  const std::size_t start = out.size();
  const std::uint64_t end = scan.end_bit;
  out.insert(out.end(), piece, piece + static_cast<std::size_t>((end + 7) / 8));
  out[start + static_cast<std::size_t>(scan.last_header_bit / 8)] &=
      static_cast<std::uint8_t>(~(1u << (scan.last_header_bit % 8)));
  const unsigned used = static_cast<unsigned>(end % 8);
  if (used != 0) out.back() &= static_cast<std::uint8_t>((1u << used) - 1);  // libdeflate's padding, now our header
  // The stored block's three header bits (all zero) fit after the last block's
  // end in its byte only when it leaves at least three bits free.
  if (used == 0 || used > 5) out.push_back(0);
  const std::uint8_t marker[4] = {0x00, 0x00, 0xff, 0xff};  // LEN 0 and its complement
  out.insert(out.end(), marker, marker + 4);
}

std::vector<std::uint8_t> zlib_compress_pieces(const std::uint8_t* raw, std::size_t size, int level,
                                               std::size_t piece_bytes, unsigned threads) {
  if (level < 0 || level > 12)
    throw error(error_kind::invalid_argument, "deflate level " + std::to_string(level) + " is not 0-12");
  if (piece_bytes == 0) throw error(error_kind::invalid_argument, "deflate pieces of 0 bytes");
  if (size <= piece_bytes) return one_call(raw, size, level);

  const std::size_t count = (size + piece_bytes - 1) / piece_bytes;
  std::vector<compressed_piece> pieces(count);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&](std::exception_ptr& failure) {
    try {
      const compressor_ptr compressor = make_compressor(level);
      for (std::size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < count;) {
        const std::size_t begin = i * piece_bytes;
        const std::size_t length = std::min(piece_bytes, size - begin);
        compressed_piece& p = pieces[i];
        const std::size_t bound = libdeflate_deflate_compress_bound(compressor.get(), length);
        p.bytes.reset(new std::uint8_t[bound]);
        p.size = libdeflate_deflate_compress(compressor.get(), raw + begin, length, p.bytes.get(), bound);
        if (p.size == 0) throw error(error_kind::internal, "libdeflate: a compressed piece did not fit its bound");
        if (i + 1 < count) p.scan = scan_deflate_blocks(p.bytes.get(), p.size);
      }
    } catch (...) {
      failure = std::current_exception();
      failed = true;
    }
  };

  if (threads == 0) threads = static_cast<unsigned>(usable_cores());
  // Levels 10-12 give each compressor about 6 MB of match finder: a worker per
  // core would add ~100 MB on 16 cores to a 4K image's peak. Four keep it near
  // the single call's (the bytes do not depend on it).
  constexpr unsigned max_near_optimal_workers = 4;
  if (level >= 10) threads = std::min(threads, max_near_optimal_workers);
  const std::size_t workers = std::min<std::size_t>(threads, count);
  std::vector<std::exception_ptr> failures(workers);
  {
    std::vector<std::thread> helpers;
    struct joiner {
      std::vector<std::thread>& threads;
      ~joiner() {
        for (std::thread& t : threads) t.join();
      }
    } const join_helpers{helpers};
    helpers.reserve(workers - 1);
    for (std::size_t w = 1; w < workers; ++w) {
      try {
        helpers.emplace_back(work, std::ref(failures[w]));
      } catch (const std::system_error&) {
        break;  // no more threads to be had: the ones there (and the caller) take every piece
      } catch (...) {
        failed = true;  // the helpers stop at their next piece; the joiner waits for them
        throw;
      }
    }
    work(failures[0]);
  }
  for (const std::exception_ptr& f : failures)
    if (f) std::rethrow_exception(f);

  std::size_t total = 2 + 4;
  for (const compressed_piece& p : pieces) total += p.size + 6;
  std::vector<std::uint8_t> out;
  out.reserve(total);
  append_zlib_header(out, level);
  std::uint32_t adler = 1;
  for (std::size_t i = 0; i < count; ++i) {
    compressed_piece& p = pieces[i];
    const std::size_t begin = i * piece_bytes;
    adler = libdeflate_adler32(adler, raw + begin, std::min(piece_bytes, size - begin));
    if (i + 1 < count)
      append_continued_piece(out, p.bytes.get(), p.scan);
    else
      out.insert(out.end(), p.bytes.get(), p.bytes.get() + p.size);
    p.bytes.reset();
  }
  put_u32_be(out, adler);
  return out;
}

}  // namespace kmq::io::detail
