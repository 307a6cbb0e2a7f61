// Which backend runs a job: the one seam between the CLI and the backends.
#pragma once
#include <memory>
#include <string>

#include "kmq/backend.hpp"
#include "kmq/cpu_backend.hpp"

namespace kmq {

enum class backend_choice { automatic, cpu, cuda };

backend_choice parse_backend_choice(const std::string& text);  // "auto", "cpu", "cuda"; throws invalid_argument

// threads: 0 = every core. automatic: CUDA when compiled in and a device
// answers, else the CPU; cuda without either throws backend_unavailable.
std::unique_ptr<backend> make_backend(backend_choice choice, int threads);

// Whether this build has the CUDA backend; unlike cuda_probe(), starts no driver.
bool cuda_compiled_in() noexcept;

}  // namespace kmq
