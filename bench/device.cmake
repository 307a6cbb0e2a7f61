# OpenCV-free tools for the GPU machine, included from bench/CMakeLists.txt.
# They need only kmq_core and kmq_backends, so they build wherever those do.

# Quantize a raw RGBA8 file on one backend; palette and label map as raw bytes
# (CPU/GPU byte parity on any photo with cmp).
add_executable(kmq_raw ${CMAKE_CURRENT_LIST_DIR}/kmq_raw.cpp)
target_link_libraries(kmq_raw PRIVATE kmq_backends kmq_warnings)

if(KMQ_HAVE_CUDA)
  # CPU against CUDA per stage, with CUDA events for the device side.
  find_package(CUDAToolkit REQUIRED)
  add_executable(kmq_gpu_bench ${CMAKE_CURRENT_LIST_DIR}/gpu_bench.cpp)
  target_link_libraries(kmq_gpu_bench PRIVATE kmq_backends CUDA::cudart_static kmq_warnings)
endif()
