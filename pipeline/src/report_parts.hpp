// The pieces of the HTML report (report_html.cpp puts them together): what is
// computed once for the page, and one renderer per section. Internal to
// kmq_pipeline.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/pipeline/report_html.hpp"
#include "preview.hpp"

namespace kmq::report {

struct page_data {
  const image_job& job;
  const job_outcome& outcome;
  const report_context& context;
  std::string name;                     // the input's file name
  extent preview;                       // size of the previews
  std::vector<std::uint8_t> original_png, compressed_png, labels_png, boundaries_png;
  region detail;                        // full-resolution crop with the largest error
  std::vector<std::uint8_t> detail_original_png, detail_compressed_png;
  std::vector<std::size_t> by_share;    // palette indices, most used first
  pixel_sample sample;                  // the pixels the cluster plots show
  std::uint64_t pixels = 0;             // width * height
};

// Each returns one <section> with a stable id (the one in its name).
std::string summary_section(const page_data& page);   // id="summary"
std::string compare_section(const page_data& page);   // id="compare" (and "detail" inside)
std::string palette_section(const page_data& page);   // id="palette"
std::string wcss_section(const page_data& page);      // id="wcss"
std::string elbow_section(const page_data& page);     // id="elbow"
std::string clusters_section(const page_data& page);  // id="clusters"
std::string overlay_section(const page_data& page);   // id="overlay"
std::string timings_section(const page_data& page);   // id="timings"
std::string command_section(const page_data& page);   // id="command"

// The sampled colours for the 3-D view, as a JSON object in a
// <script type="application/json" id="cluster-data"> block.
std::string cluster_data_script(const page_data& page);

const char* report_css();     // report_style.cpp
const char* report_script();  // report_script.cpp

// Shared by the sections.
constexpr std::size_t cluster_sample_points = 3000;
std::string section_open(const char* id, const std::string& title, const std::string& lead = "");
std::string psnr_text(double psnr);  // "27.60 dB", "∞ (identical)"
int asked_k(const page_data& page);  // the K asked (or chosen by --quality)

}  // namespace kmq::report
