# The generator of results/report/ (bench/make_example_report.cpp): one image
# through run_job with the elbow curve, written as the HTML report and the
# palette and label files. Included from bench/CMakeLists.txt.
if(KMQ_BUILD_CLI)
  add_executable(make_example_report ${CMAKE_CURRENT_LIST_DIR}/make_example_report.cpp)
  target_link_libraries(make_example_report PRIVATE kmq_pipeline kmq_backends kmq_warnings)
  target_compile_definitions(make_example_report PRIVATE KMQ_VERSION="${PROJECT_VERSION}")
endif()
