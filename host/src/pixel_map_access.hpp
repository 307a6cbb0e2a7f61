// The two places that may read and write a pixel_map's inside.
#pragma once
#include "kmq/quantize.hpp"

namespace kmq {

struct pixel_map_access {
  static std::vector<std::uint32_t>& to_point(pixel_map& map) { return map.to_point_; }
  static const std::vector<std::uint32_t>& to_point(const pixel_map& map) { return map.to_point_; }
  static void keep_with(pixel_map& map, const backend* keeper) { map.keeper_ = keeper; }
  static const backend* keeper(const pixel_map& map) { return map.keeper_; }
  static void labelled_by(pixel_map& map, const backend& labeller) {
    map.labeller_ = &labeller;
    map.image_serial_ = labeller.image_serial();
  }
  // Whether engine still holds the labels this map was made with.
  static bool current_on(const pixel_map& map, const backend& engine) {
    return map.labeller_ == &engine && engine.image_serial() == map.image_serial_;
  }
};

}  // namespace kmq
