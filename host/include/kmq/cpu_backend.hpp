// The CPU backend's factory. It is always there: every other backend is
// checked against it, and auto falls back to it.
#pragma once
#include <memory>

#include "kmq/backend.hpp"

namespace kmq {

// threads: 0 = every core. Results do not depend on the thread count.
std::unique_ptr<backend> make_cpu_backend(int threads);

}  // namespace kmq
