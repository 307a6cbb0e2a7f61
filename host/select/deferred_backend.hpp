// The backend backend_starter::deferred() hands out: every call waits for the
// starter's backend of its index and forwards to it. Nothing is asked before
// the first call, so a job that decodes before it calls its backend decodes
// while the backend is being made. Its image and labels serials are its own:
// the pipeline sees this object, never the one behind it.
#pragma once
#include <cstddef>

#include "kmq/backend_starter.hpp"

namespace kmq {

class deferred_backend final : public backend {
 public:
  deferred_backend(backend_starter& starter, std::size_t index) : starter_(starter), index_(index) {}

  std::string name() const override { return ready().name(); }
  std::string device() const override { return ready().device(); }
  int threads() const override { return ready().threads(); }

  color_histogram histogram(const packed_rgba* pixels, std::size_t count) override {
    return ready().histogram(pixels, count);
  }
  bool histogram_keeping_map(const packed_rgba* pixels, std::size_t count, color_histogram& out) override {
    return ready().histogram_keeping_map(pixels, count, out);
  }
  void upload(const packed_rgba* points, const std::uint32_t* weights, std::size_t count) override {
    ready().upload(points, weights, count);
  }
  std::size_t size() const override { return ready().size(); }

  void seed_begin(packed_rgba first_centre) override { ready().seed_begin(first_centre); }
  void seed_add_centre(packed_rgba centre) override { ready().seed_add_centre(centre); }
  std::uint64_t seed_potential() override { return ready().seed_potential(); }
  void seed_sample(const std::uint64_t* targets, int count, std::uint32_t* indices) override {
    ready().seed_sample(targets, count, indices);
  }
  void seed_candidate_potentials(const packed_rgba* candidates, int count, std::uint64_t* potentials) override {
    ready().seed_candidate_potentials(candidates, count, potentials);
  }
  bool seed_greedy(seeded_random& random, int k, int trials, std::vector<packed_rgba>& centres) override {
    return ready().seed_greedy(random, k, trials, centres);
  }

  step_stats step(const float* centroids, int k) override { return ready().step(centroids, k); }
  void assign_to_palette(const packed_rgba* palette, int count) override { ready().assign_to_palette(palette, count); }
  std::vector<std::uint32_t> labels() override { return ready().labels(); }
  void label_pixels(const std::uint32_t* pixel_to_point, std::size_t pixel_count, std::uint8_t* out) override {
    ready().label_pixels(pixel_to_point, pixel_count, out);
  }
  void label_kept_pixels(std::size_t pixel_count, std::uint8_t* out) override {
    ready().label_kept_pixels(pixel_count, out);
  }

 private:
  // Only the first call waits; later ones find the pointer set (one worker thread per backend).
  backend& ready() const {
    if (engine_ == nullptr) engine_ = &starter_.request(index_);
    return *engine_;
  }

  backend_starter& starter_;
  const std::size_t index_;
  mutable backend* engine_ = nullptr;
};

}  // namespace kmq
