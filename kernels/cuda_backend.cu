// The CUDA backend: device buffers, the calls into the passes, and the probe
// that tells whether a device answers at all.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

#include "cuda_backend.cuh"
#include "kmq/cuda_backend.hpp"
#include "kmq/usable_cores.hpp"

namespace kmq {
namespace cuda {
namespace {

constexpr std::size_t accumulator_words = 6 * static_cast<std::size_t>(max_colors) + 2;

__global__ void probe_kernel(int* out) { *out = 42; }

std::string describe_probe_error(cudaError_t code) {
  switch (code) {
    case cudaErrorInsufficientDriver:
      return "no NVIDIA GPU driver found (or one older than this build's CUDA runtime)";
    case cudaErrorNoDevice:
      return "no NVIDIA GPU found";
    default:
      return std::string("CUDA error ") + cudaGetErrorName(code) + ": " + cudaGetErrorString(code);
  }
}

// Counting devices is not enough: a device whose architecture this binary
// has no code for counts but cannot run a kernel, so one tiny launch decides.
cuda_status probe_once() {
  cuda_status status;
  status.compiled = true;
  int count = 0;
  cudaError_t code = cudaGetDeviceCount(&count);
  if (code != cudaSuccess) {
    (void)cudaGetLastError();
    status.reason = describe_probe_error(code);
    return status;
  }
  if (count < 1) {
    status.reason = "no NVIDIA GPU found";
    return status;
  }
  cudaDeviceProp properties{};
  code = cudaGetDeviceProperties(&properties, 0);
  if (code != cudaSuccess) {
    (void)cudaGetLastError();
    status.reason = describe_probe_error(code);
    return status;
  }
  status.device_name = properties.name;
  const std::string arch = " (sm_" + std::to_string(properties.major) + std::to_string(properties.minor) + ")";
  // On a stream of its own, as every backend call: nothing of kmq runs on
  // the legacy default stream (which would wait for, and hold up, the work
  // of other libraries in the process).
  int* flag = nullptr;
  int host_flag = 0;
  cudaStream_t stream = nullptr;
  code = cudaSetDevice(0);
  if (code == cudaSuccess) code = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  if (code == cudaSuccess) {
    code = cudaMalloc(&flag, sizeof(int));
    if (code == cudaSuccess) {
      probe_kernel<<<1, 1, 0, stream>>>(flag);
      code = cudaGetLastError();
      if (code == cudaSuccess) code = cudaMemcpyAsync(&host_flag, flag, sizeof(int), cudaMemcpyDeviceToHost, stream);
      const cudaError_t drained = cudaStreamSynchronize(stream);  // before the free, whatever failed above
      if (code == cudaSuccess) code = drained;
      (void)cudaFree(flag);
    }
    (void)cudaStreamDestroy(stream);
  }
  if (code != cudaSuccess || host_flag != 42) {
    (void)cudaGetLastError();
    status.reason = "cannot run kernels on " + status.device_name + arch + ": " +
                    (code != cudaSuccess ? describe_probe_error(code) : std::string("wrong result"));
    return status;
  }
  status.available = true;
  status.device_index = 0;
  return status;
}

// How a host thread waits for the device. CUDA's default spins while there are
// fewer contexts than cores; with many batch workers waiting at once, spinning
// threads take cores from the ones decoding and encoding. KMQ_CUDA_SYNC=spin,
// yield or blocking sets it for the process (the device check's batch
// throughput measures blocking against the default); the results are the same.
unsigned sync_flags_from_environment() {
  const char* text = std::getenv("KMQ_CUDA_SYNC");
  if (text == nullptr) return cudaDeviceScheduleAuto;
  const std::string mode = text;
  if (mode == "spin") return cudaDeviceScheduleSpin;
  if (mode == "yield") return cudaDeviceScheduleYield;
  if (mode == "blocking") return cudaDeviceScheduleBlockingSync;
  return cudaDeviceScheduleAuto;
}

}  // namespace

cuda_backend::cuda_backend(int device_index, std::string device_name, int host_threads)
    : device_index_(device_index), device_name_(std::move(device_name)), host_threads_(std::max(1, host_threads)) {
  KMQ_CUDA_TRY(cudaSetDevice(device_index_));
  static const unsigned sync_flags = sync_flags_from_environment();
  if (sync_flags != cudaDeviceScheduleAuto) KMQ_CUDA_TRY(cudaSetDeviceFlags(sync_flags));
  int sm_count = 0;
  KMQ_CUDA_TRY(cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device_index_));
  assign_grid_ = (sm_count < 1 ? 1 : sm_count) * assign_reduce_occupancy();
  centroids_.reserve(static_cast<std::size_t>(max_colors) * channels);
  accumulators_.reserve(accumulator_words);
  small_u64_.reserve(max_candidates_per_pass);
  small_u32_.reserve(max_candidates_per_pass);
  // Last, after everything that may throw: a constructor that throws runs no
  // destructor, and the stream would leak. Non-blocking: the legacy default
  // stream (another library's work in the process) neither waits for it nor
  // holds it up.
  KMQ_CUDA_TRY(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

cuda_backend::~cuda_backend() {
  // Every call drains the stream before it returns, even by a throw where
  // caller memory or device state is involved; this wait is the backstop
  // before the stream goes and the buffers (members, freed after this body)
  // with it.
  if (cudaStreamSynchronize(stream_) != cudaSuccess) (void)cudaGetLastError();
  if (cudaStreamDestroy(stream_) != cudaSuccess) (void)cudaGetLastError();
}

color_histogram cuda_backend::histogram(const packed_rgba* pixels, std::size_t count) {
  kept_map_pixels_ = kept_map_colors_ = 0;  // the scratch is about to be overwritten
  return build_histogram(pixels, count, histogram_scratch_, true, stream_);
}

bool cuda_backend::histogram_keeping_map(const packed_rgba* pixels, std::size_t count, color_histogram& out) {
  kept_map_pixels_ = kept_map_colors_ = 0;
  out = build_histogram(pixels, count, histogram_scratch_, false, stream_);
  kept_map_pixels_ = count;
  kept_map_colors_ = out.colors.size();
  return true;
}

void cuda_backend::upload(const packed_rgba* points, const std::uint32_t* weights, std::size_t count) {
  if (count > 0xffffffffu) throw error(error_kind::invalid_argument, "more than 2^32 - 1 points");
  size_ = 0;  // stays empty if an allocation below fails
  // The caller may reuse points and weights once this returns, also by a throw
  // (a range it pinned itself is read by the copy engine after the call).
  const stream_drain drain(stream_);
  points_.upload(points, count, stream_);
  weights_.upload(weights, count, stream_);
  labels_.reserve(count);
  labels_.fill_bytes(0xff, count, stream_);  // every label "none": the first step counts all as changed
  distance_.reserve(count);
  distance_.fill_bytes(0, count, stream_);   // as the CPU backend: D = 0 until seeding starts
  KMQ_CUDA_TRY(cudaStreamSynchronize(stream_));  // a failed copy is reported by this call
  prefix_valid_ = false;
  potential_ = 0;
  size_ = count;
}

void cuda_backend::seed_update_with(packed_rgba centre, bool first) {
  prefix_valid_ = false;
  seed_update(points_.data(), weights_.data(), distance_.data(), size_, centre, first, small_u64_.data(), stream_);
  small_u64_.download(&potential_, 1, stream_);
}

void cuda_backend::seed_begin(packed_rgba first_centre) { seed_update_with(first_centre, true); }

void cuda_backend::seed_add_centre(packed_rgba centre) { seed_update_with(centre, false); }

void cuda_backend::seed_sample(const std::uint64_t* targets, int count, std::uint32_t* indices) {
  if (count <= 0) return;
  if (size_ == 0) throw error(error_kind::internal, "seed_sample: target beyond the potential");
  const stream_drain drain(stream_);  // the targets are the caller's
  if (!prefix_valid_) {
    prefix_.reserve(size_);
    seed_prefix(weights_.data(), distance_.data(), size_, prefix_.data(), stream_);
    prefix_valid_ = true;
  }
  small_u64_.upload(targets, static_cast<std::size_t>(count), stream_);
  small_u32_.reserve(static_cast<std::size_t>(count));
  seed_search(prefix_.data(), size_, small_u64_.data(), count, small_u32_.data(), stream_);
  small_u32_.download(indices, static_cast<std::size_t>(count), stream_);
  for (int t = 0; t < count; ++t) {
    if (indices[t] >= size_) throw error(error_kind::internal, "seed_sample: target beyond the potential");
  }
}

void cuda_backend::seed_candidate_potentials(const packed_rgba* candidates, int count, std::uint64_t* potentials) {
  const stream_drain drain(stream_);  // the candidates are the caller's
  for (int begin = 0; begin < count; begin += max_candidates_per_pass) {
    const int chunk = count - begin < max_candidates_per_pass ? count - begin : max_candidates_per_pass;
    small_u32_.upload(candidates + begin, static_cast<std::size_t>(chunk), stream_);
    seed_candidates(points_.data(), weights_.data(), distance_.data(), size_, small_u32_.data(), chunk,
                    small_u64_.data(), stream_);
    small_u64_.download(potentials + begin, static_cast<std::size_t>(chunk), stream_);
  }
}

step_stats cuda_backend::step(const float* centroids, int k) {
  if (k < 1 || k > max_colors) throw error(error_kind::invalid_argument, "step: k out of range");
  const stream_drain drain(stream_);  // the centroids are the caller's
  const std::size_t kk = static_cast<std::size_t>(k);
  const std::size_t words = 6 * kk + 2;
  std::vector<std::uint64_t> host(words, 0);
  if (size_ != 0) {
    // Queued back to back; the download is the one wait of the step.
    centroids_.upload(centroids, kk * channels, stream_);
    accumulators_.fill_bytes(0, words, stream_);
    assign_reduce(points_.data(), weights_.data(), labels_.data(), size_, centroids_.data(), k,
                  accumulators_.data(), assign_grid_, stream_);
    accumulators_.download(host.data(), words, stream_);
  }
  step_stats stats;
  stats.count.assign(host.begin(), host.begin() + kk);
  stats.sum.assign(host.begin() + kk, host.begin() + 5 * kk);
  stats.sq_norm.assign(host.begin() + 5 * kk, host.begin() + 6 * kk);
  stats.changed = host[6 * kk];
  const std::uint64_t farthest = host[6 * kk + 1];
  // The farthest point is part of the answer only when a cluster is empty.
  const bool some_empty = std::find(stats.count.begin(), stats.count.end(), 0u) != stats.count.end();
  if (size_ != 0 && some_empty) {
    stats.farthest = ~static_cast<std::uint32_t>(farthest);
    const std::uint32_t bits = static_cast<std::uint32_t>(farthest >> 32);
    static_assert(sizeof(float) == sizeof(bits), "float is 32 bits");
    std::memcpy(&stats.farthest_distance, &bits, sizeof bits);
  }
  return stats;
}

void cuda_backend::assign_to_palette(const packed_rgba* palette, int count) {
  assign_palette(points_.data(), size_, palette, count, labels_.data(), stream_);
  KMQ_CUDA_TRY(cudaStreamSynchronize(stream_));  // surface a fault here, not at the next call
}

std::vector<std::uint32_t> cuda_backend::labels() {
  std::vector<std::uint32_t> out(size_);
  labels_.download(out.data(), size_, stream_);
  return out;
}

void cuda_backend::label_kept_pixels(std::size_t pixel_count, std::uint8_t* out) {
  if (pixel_count != kept_map_pixels_ || size_ != kept_map_colors_) {
    throw error(error_kind::internal, "label_kept_pixels: no kept map for these pixels and points");
  }
  label_through(histogram_scratch_.keys.data(), pixel_count, out);
}

void cuda_backend::label_pixels(const std::uint32_t* pixel_to_point, std::size_t pixel_count, std::uint8_t* out) {
  if (pixel_count == 0) return;
  const stream_drain drain(stream_);  // the map is the caller's
  device_buffer<std::uint32_t> map;
  map.upload(pixel_to_point, pixel_count, stream_);
  label_through(map.data(), pixel_count, out);
}

void cuda_backend::label_through(const std::uint32_t* device_map, std::size_t pixel_count, std::uint8_t* out) {
  if (pixel_count == 0) return;
  device_buffer<std::uint8_t> labelled(pixel_count);
  gather_labels(labels_.data(), size_, device_map, pixel_count, labelled.data(), stream_);
  labelled.download(out, pixel_count, stream_);
}

}  // namespace cuda

cuda_status cuda_probe() {
  static const cuda_status cached = [] {
    try {
      return cuda::probe_once();
    } catch (...) {  // the promise is never to throw
      cuda_status status;
      status.compiled = true;
      status.reason = "CUDA probe failed";
      return status;
    }
  }();
  return cached;
}

std::unique_ptr<backend> make_cuda_backend(int host_threads) {
  const cuda_status status = cuda_probe();
  if (!status.available) {
    throw error(error_kind::backend_unavailable, "CUDA backend unavailable: " + status.reason);
  }
  if (host_threads <= 0) host_threads = usable_cores();
  return std::make_unique<cuda::cuda_backend>(status.device_index, status.device_name, host_threads);
}

}  // namespace kmq
