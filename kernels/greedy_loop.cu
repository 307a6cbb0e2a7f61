// cuda_backend::seed_greedy: the whole greedy k-means++ loop on the device.
// Step by step, each k-means++ step costs three host round trips (potential,
// sampled indices, candidate potentials); here all steps are enqueued at once,
// three kernels each, replayed from one CUDA graph, and the host waits once.
//
// Everything runs on the backend's own stream, the capture included. Capture
// needs a stream other than the legacy default one, which the backend's
// non-blocking stream is; in cudaStreamCaptureModeThreadLocal only this
// thread's calls could spoil it, and between begin and end it makes none but
// the step's three launches, which the capture records without running them.
// Work queued on the stream before (the uploads, seed_begin(), the state copy
// and the first chunk sums below) is ordered before the replays by the stream
// itself: no second stream, and no device-wide wait, is needed.
#include <cuda_runtime.h>

#include <atomic>

#include <cstdlib>
#include <memory>
#include <type_traits>

#include "cuda_backend.cuh"
#include "kmq/cuda_backend.hpp"

namespace kmq::cuda {
namespace {

struct graph_deleter {
  void operator()(CUgraph_st* graph) const noexcept { (void)cudaGraphDestroy(graph); }
};
struct graph_exec_deleter {
  void operator()(CUgraphExec_st* exec) const noexcept { (void)cudaGraphExecDestroy(exec); }
};
using graph_handle = std::unique_ptr<CUgraph_st, graph_deleter>;
using graph_exec_handle = std::unique_ptr<CUgraphExec_st, graph_exec_deleter>;

// Set once any capture is refused, for cuda_graph_capture_refused(): the
// library prints nothing, so the tools that time it ask and say so.
std::atomic<bool> capture_refused{false};

// One step captured as a graph, or null where capture is refused (then the
// steps are launched one by one: same kernels, same results, slower).
graph_exec_handle capture_step(const greedy_loop& loop, cudaStream_t stream) {
  const cudaError_t began = cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
  if (began != cudaSuccess) {
    (void)cudaGetLastError();
    capture_refused = true;
    return nullptr;
  }
  const cudaError_t launched = greedy_enqueue_step(loop, stream);
  cudaGraph_t raw_graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(stream, &raw_graph);
  graph_handle graph(raw_graph);
  cudaGraphExec_t raw_exec = nullptr;
  if (launched != cudaSuccess || ended != cudaSuccess || graph == nullptr ||
      cudaGraphInstantiate(&raw_exec, graph.get(), 0) != cudaSuccess) {
    (void)cudaGetLastError();
    capture_refused = true;
    return nullptr;
  }
  return graph_exec_handle(raw_exec);
}

}  // namespace

bool cuda_backend::seed_greedy(seeded_random& random, int k, int trials, std::vector<packed_rgba>& centres) {
  if (size_ == 0 || centres.empty() || trials < 1 || trials > max_candidates_per_pass ||
      centres.size() >= static_cast<std::size_t>(k)) {
    return false;
  }
  const std::size_t first_new = centres.size();
  const std::size_t steps = static_cast<std::size_t>(k) - first_new;

  greedy_state host_state{};
  host_state.rng = random.state();
  host_state.potential = potential_;
  host_state.step = static_cast<std::uint32_t>(first_new);
  host_state.failed = greedy_state::ok;
  static_assert(std::is_trivially_copyable<greedy_state>::value, "copied as bytes");

  prefix_valid_ = false;  // D changes below
  chunk_sums_.reserve(greedy_chunk_count(size_));
  greedy_state_.reserve(1);
  centre_out_.reserve(static_cast<std::size_t>(k));

  greedy_loop loop{};
  loop.points = points_.data();
  loop.weights = weights_.data();
  loop.distance = distance_.data();
  loop.chunk_sums = chunk_sums_.data();
  loop.n = size_;
  loop.state = greedy_state_.data();
  loop.centres = centre_out_.data();
  loop.trials = trials;

  // After a failed launch the steps already queued must not go on writing D
  // and the state once this call has thrown: drained on every way out.
  const stream_drain drain(stream_);
  // host_state is pageable: the copy has staged it when this returns.
  KMQ_CUDA_TRY(cudaMemcpyAsync(loop.state, &host_state, sizeof host_state, cudaMemcpyHostToDevice, stream_));
  KMQ_CUDA_TRY(greedy_prepare(loop, stream_));
  // KMQ_CUDA_NO_GRAPH=1 takes the plain launches (the device check runs the
  // parity tests both ways).
  static const bool graphs_off = std::getenv("KMQ_CUDA_NO_GRAPH") != nullptr;
  const graph_exec_handle step = steps > 1 && !graphs_off ? capture_step(loop, stream_) : nullptr;
  for (std::size_t s = 0; s < steps; ++s) {
    if (step != nullptr) {
      KMQ_CUDA_TRY(cudaGraphLaunch(step.get(), stream_));
    } else {
      KMQ_CUDA_TRY(greedy_enqueue_step(loop, stream_));
    }
  }
  // The host waits here for all the steps at once.
  KMQ_CUDA_TRY(cudaMemcpyAsync(&host_state, loop.state, sizeof host_state, cudaMemcpyDeviceToHost, stream_));
  KMQ_CUDA_TRY(cudaStreamSynchronize(stream_));
  if (host_state.failed == greedy_state::no_potential) {
    throw error(error_kind::internal, "k-means++: every point already is a centre");
  }
  if (host_state.failed != greedy_state::ok || host_state.step != static_cast<std::uint32_t>(k)) {
    throw error(error_kind::internal, "seed_sample: target beyond the potential");
  }
  // Only now, when every step has written its centre.
  centres.resize(static_cast<std::size_t>(k));
  KMQ_CUDA_TRY(cudaMemcpyAsync(centres.data() + first_new, loop.centres + first_new, steps * sizeof(packed_rgba),
                               cudaMemcpyDeviceToHost, stream_));
  KMQ_CUDA_TRY(cudaStreamSynchronize(stream_));
  random = seeded_random(host_state.rng);
  potential_ = host_state.potential;
  return true;
}

}  // namespace kmq::cuda

namespace kmq {
bool cuda_graph_capture_refused() noexcept { return cuda::capture_refused.load(); }
}  // namespace kmq
