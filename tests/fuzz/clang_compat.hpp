// Force-included (-include) into every C++ file of the fuzzing build only
// (fuzz_flags.cmake). host/src/cpu_assign.cpp uses GCC's __builtin_shuffle,
// which clang does not have (clang spells it __builtin_shufflevector with
// constant indices), so kmq_core does not compile with clang as it stands.
// This gives clang the GCC semantics, result[i] = v[mask[i] % lanes], without
// touching host/. The variadic macro keeps the commas of a braced mask.
#pragma once
#if defined(__clang__) && defined(__cplusplus)
namespace kmq_clang_compat {
template <typename Vector, typename Mask>
inline Vector shuffle(Vector v, Mask mask) {
  constexpr int lanes = static_cast<int>(sizeof(Vector) / sizeof(v[0]));
  Vector out = v;
  for (int i = 0; i < lanes; ++i) out[i] = v[static_cast<int>(mask[i]) & (lanes - 1)];
  return out;
}
}  // namespace kmq_clang_compat
#define __builtin_shuffle(v, ...) ::kmq_clang_compat::shuffle((v), __VA_ARGS__)
#endif
