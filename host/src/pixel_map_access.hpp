// The places that may read and write a pixel_map's and a color_set's inside.
#pragma once
#include "kmq/quantize.hpp"

namespace kmq {

struct pixel_map_access {
  static void set_host_map(pixel_map& map, std::vector<std::uint32_t> to_point) {
    map.to_point_ = std::make_shared<const std::vector<std::uint32_t>>(std::move(to_point));
  }
  static const std::vector<std::uint32_t>& to_point(const pixel_map& map) { return *map.to_point_; }
  static void keep_with(pixel_map& map, const backend* keeper) { map.keeper_ = keeper; }
  static const backend* keeper(const pixel_map& map) { return map.keeper_; }
  static void held_by(pixel_map& map, const backend& engine) {
    map.engine_ = &engine;
    map.image_serial_ = engine.image_serial();
  }
  static void labelled(pixel_map& map, const backend& engine) { map.labels_serial_ = engine.labels_serial(); }
  // Whether engine still holds the points this map was made with.
  static bool points_current_on(const pixel_map& map, const backend& engine) {
    return map.engine_ == &engine && engine.image_serial() == map.image_serial_;
  }
  // ... and the labels of this map's palette.
  static bool labels_current_on(const pixel_map& map, const backend& engine) {
    return points_current_on(map, engine) && engine.labels_serial() == map.labels_serial_;
  }
};

}  // namespace kmq
