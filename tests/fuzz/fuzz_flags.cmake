# Included from the top-level CMakeLists before any target when KMQ_BUILD_FUZZ
# is on: every kmq library is built with coverage for libFuzzer and with
# AddressSanitizer + UndefinedBehaviorSanitizer (UB aborts: no recovery, so
# libFuzzer sees it as a crash).
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "KMQ_BUILD_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
endif()
set(KMQ_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -g)
add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${KMQ_FUZZ_FLAGS}>")
add_link_options(-fsanitize=address,undefined)
message(STATUS "kmq: fuzzing build (libFuzzer, ASan, UBSan)")
