// The final mapping: every point to its nearest palette colour by exact
// integer distance (so the label map matches the palette actually written,
// not the float centroids), then the labels spread out to every pixel.
#include "cuda_check.cuh"
#include "kernels.cuh"

namespace kmq::cuda {
namespace {

constexpr unsigned block_threads = 256;

struct palette_param {
  std::uint32_t colour[max_colors];  // 1 KB: fits the kernel's parameter space
};

__global__ void __launch_bounds__(block_threads)
    assign_palette_kernel(const std::uint32_t* __restrict__ points, std::size_t n, palette_param palette, int count,
                          std::uint32_t* __restrict__ labels) {
  __shared__ std::uint32_t colour[max_colors];
  for (int j = threadIdx.x; j < count; j += blockDim.x) colour[j] = palette.colour[j];
  __syncthreads();
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
       i += std::size_t{gridDim.x} * blockDim.x) {
    const std::uint32_t x = points[i];
    std::uint32_t best = 0;
    std::uint32_t best_distance = palette_distance_dev(x, colour[0]);
    for (int j = 1; j < count; ++j) {
      const std::uint32_t d = palette_distance_dev(x, colour[j]);
      if (d < best_distance) {  // strict: ties stay with the lowest index
        best_distance = d;
        best = static_cast<std::uint32_t>(j);
      }
    }
    labels[i] = best;
  }
}

// A map entry past the points (a caller's bug) reads as label 0 rather than
// faulting: on the device a stray read poisons the whole context.
__global__ void gather_labels_kernel(const std::uint32_t* __restrict__ labels, std::size_t n,
                                     const std::uint32_t* __restrict__ pixel_to_point, std::size_t pixel_count,
                                     std::uint8_t* __restrict__ out) {
  for (std::size_t p = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; p < pixel_count;
       p += std::size_t{gridDim.x} * blockDim.x) {
    const std::uint32_t point = pixel_to_point[p];
    out[p] = point < n ? static_cast<std::uint8_t>(labels[point]) : std::uint8_t{0};
  }
}

}  // namespace

void assign_palette(const packed_rgba* points, std::size_t n, const packed_rgba* palette, int count,
                    std::uint32_t* labels, cudaStream_t stream) {
  if (count < 1 || count > max_colors) throw error(error_kind::invalid_argument, "palette size out of range");
  if (n == 0) return;
  palette_param param{};
  for (int j = 0; j < count; ++j) param.colour[j] = palette[j];
  // param goes by value: the launch copies it, so it may leave scope at once.
  assign_palette_kernel<<<grid_for(n, block_threads), block_threads, 0, stream>>>(points, n, param, count, labels);
  KMQ_CUDA_CHECK_LAUNCH("assign_palette_kernel");
}

void gather_labels(const std::uint32_t* labels, std::size_t n, const std::uint32_t* pixel_to_point,
                   std::size_t pixel_count, std::uint8_t* out, cudaStream_t stream) {
  if (pixel_count == 0) return;
  gather_labels_kernel<<<grid_for(pixel_count, block_threads), block_threads, 0, stream>>>(labels, n, pixel_to_point,
                                                                                           pixel_count, out);
  KMQ_CUDA_CHECK_LAUNCH("gather_labels_kernel");
}

}  // namespace kmq::cuda
