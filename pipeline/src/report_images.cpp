// The report's image sections: original and compressed side by side, the
// swipe comparison with zoom, the full-resolution detail, the cluster overlay.
// Each preview is embedded once (a data: URI); the script points the swipe
// and overlay layers at the same images.
#include <algorithm>

#include "html_text.hpp"
#include "kmq/pipeline/palette_files.hpp"
#include "report_parts.hpp"

namespace kmq::report {
namespace {

// A transparent pixel: the src of a layer the script fills in.
constexpr const char* placeholder = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

std::string size_text(std::uint32_t w, std::uint32_t h) { return grouped(w) + "\xc2\xa0\xc3\x97\xc2\xa0" + grouped(h); }

std::string img(const std::string& id, const std::string& src, extent size, const std::string& alt,
                const char* cls = "") {
  return "<img" + (id.empty() ? std::string() : " id=\"" + id + "\"") + " class=\"" + cls + "\" src=\"" + src +
         "\" width=\"" + std::to_string(size.width) + "\" height=\"" + std::to_string(size.height) + "\" alt=\"" +
         escape(alt) + "\">";
}

std::string stage_style(extent size) {
  return "--w:" + std::to_string(size.width) + ";--h:" + std::to_string(size.height);
}

std::string zoom_buttons(const char* attribute, const char* label, const std::vector<std::pair<int, const char*>>& zooms,
                         int pressed) {
  std::string out = std::string("<span class=\"seg\" role=\"group\" aria-label=\"") + label + "\">";
  for (const auto& [zoom, text] : zooms)
    out += std::string("<button type=\"button\" ") + attribute + "=\"" + std::to_string(zoom) + "\" aria-pressed=\"" +
           (zoom == pressed ? "true" : "false") + "\">" + text + "</button>";
  return out + "</span>";
}

}  // namespace

std::string compare_section(const page_data& page) {
  const job_outcome& r = page.outcome;
  const bool scaled = page.preview.width != r.width || page.preview.height != r.height;
  const std::string shown =
      scaled ? "Shown through previews of " + size_text(page.preview.width, page.preview.height) + " (the image is " +
                   size_text(r.width, r.height) + ", " +
                   fixed(static_cast<double>(r.width) / page.preview.width, 2) +
                   "\xc3\x97 larger): the original box-filtered, the compressed image taken from the label map, so "
                   "that every pixel shown is a palette colour. Fine texture the box filter smooths can stay sharp in the "
                   "compressed preview; the detail below compares both at full resolution."
             : "Both at full size, " + size_text(r.width, r.height) + " pixels.";
  std::string html = section_open("compare", "Original and compressed", shown);
  html += "<div class=\"pair\"><figure class=\"shot\"><div class=\"checker\">" +
          img("img-original", png_data_uri(page.original_png), page.preview, "The original: " + page.name) +
          "</div><figcaption><strong>Original</strong> \xc2\xb7 " + byte_size(r.input_bytes) +
          "</figcaption></figure><figure class=\"shot\"><div class=\"checker\">" +
          img("img-compressed", png_data_uri(page.compressed_png), page.preview,
              "The compressed image: " + colours(r.quantized.palette.size())) +
          "</div><figcaption><strong>Compressed</strong> \xc2\xb7 " +
          colours(r.quantized.palette.size()) + " \xc2\xb7 " + byte_size(r.png.size()) +
          " PNG</figcaption></figure></div>";

  html += "<h3 id=\"swipe-h\">Swipe</h3><div class=\"viewer\" id=\"swipe\"><div class=\"toolbar\">" +
          zoom_buttons("data-zoom", "Zoom of the swipe view", {{0, "Fit"}, {1, "1:1"}, {2, "2\xc3\x97"}, {4, "4\xc3\x97"}}, 0) +
          "<span class=\"hint\">Drag the divider, or focus it and press \xe2\x86\x90 \xe2\x86\x92 (Shift: 10 steps), Home, "
          "End. Double-click zooms; zoomed, drag to pan.</span></div>";
  html += "<div class=\"viewport checker\" id=\"swipe-viewport\" tabindex=\"0\" aria-label=\"Swipe comparison\">"
          "<div class=\"stage\" id=\"swipe-stage\" style=\"" + stage_style(page.preview) + ";--pos:50%\">" +
          img("swipe-under", placeholder, page.preview, "Compressed, right of the divider", "layer") +
          img("swipe-over", placeholder, page.preview, "Original, left of the divider", "layer over") +
          "<div class=\"divider\" id=\"swipe-divider\" role=\"slider\" tabindex=\"0\" aria-label=\"Divider between the "
          "original (left) and the compressed image (right)\" aria-orientation=\"horizontal\" aria-valuemin=\"0\" "
          "aria-valuemax=\"100\" aria-valuenow=\"50\" aria-valuetext=\"50 % original\"><span class=\"grip\"></span></div>"
          "<span class=\"tag tag-left\">Original</span><span class=\"tag tag-right\">Compressed</span></div></div>"
          "<noscript><p class=\"note\">The swipe view needs JavaScript; the images above show the same.</p></noscript></div>";

  const region& d = page.detail;
  const extent detail_size{d.width, d.height};
  std::vector<std::pair<int, const char*>> detail_zooms{
      {1, "1\xc3\x97"}, {2, "2\xc3\x97"}, {3, "3\xc3\x97"}, {4, "4\xc3\x97"}, {8, "8\xc3\x97"}};
  if (std::max(d.width, d.height) * 8 < 320) detail_zooms.insert(detail_zooms.end(), {{16, "16\xc3\x97"}, {32, "32\xc3\x97"}});
  html += "<h3 id=\"detail\">Detail at 1:1</h3><p class=\"note\">The " + size_text(d.width, d.height) +
          " pixels at x\xc2\xa0" + std::to_string(d.x) + "\xe2\x80\x93" + std::to_string(d.x + d.width - 1) +
          ", y\xc2\xa0" + std::to_string(d.y) + "\xe2\x80\x93" + std::to_string(d.y + d.height - 1) +
          (d.width == r.width && d.height == r.height ? " (the whole image)"
           : r.quantized.lossless                      ? " (the palette holds every colour: no error anywhere)"
                                                       : ", where the error against the palette is largest") +
          ": every pixel as stored, enlarged without smoothing.</p><div class=\"toolbar\">" +
          zoom_buttons("data-dzoom", "Zoom of the detail", detail_zooms, 2) +
          "<span class=\"hint\">Drag or scroll to pan: both views move together.</span></div>";
  html += "<div class=\"detail-pair\" id=\"detail-pair\" style=\"" + stage_style(detail_size) + ";--dz:2\">";
  const std::pair<const char*, const std::vector<std::uint8_t>*> details[] = {
      {"Original", &page.detail_original_png}, {"Compressed", &page.detail_compressed_png}};
  for (const auto& [label, png] : details) {
    html += "<figure><div class=\"dview checker\" tabindex=\"0\" aria-label=\"" + std::string(label) +
            " detail; arrow keys pan\">" +
            img("", png_data_uri(*png), detail_size, std::string(label) + " detail", "pixelated") +
            "</div><figcaption>" + label + "</figcaption></figure>";
  }
  return html + "</div></section>";
}

std::string overlay_section(const page_data& page) {
  const quantize_result& q = page.outcome.quantized;
  std::string html = section_open(
      "overlay", "Cluster overlay",
      "Every pixel in the false colour of its cluster, and the boundaries between clusters (pixels whose right or "
      "bottom neighbour belongs to another cluster), drawn over the image: where " +
          std::string(q.exact_grey ? "the exact grey palette" : "k-means") + " grouped the pixels.");
  html += "<div class=\"toolbar\">" +
          zoom_buttons("data-base", "Image under the overlay", {{0, "Original"}, {1, "Compressed"}}, 0) +
          "<label class=\"range\">Clusters <input type=\"range\" id=\"overlay-opacity\" min=\"0\" max=\"100\" "
          "value=\"55\" aria-label=\"Opacity of the cluster colours\"></label><label class=\"check\"><input "
          "type=\"checkbox\" id=\"overlay-edges\" checked> Boundaries</label></div>";
  html += "<div class=\"ostage checker\" id=\"overlay-stage\" style=\"" + stage_style(page.preview) + ";--op:0.55\">" +
          img("overlay-base", placeholder, page.preview, "The image under the overlay", "layer") +
          img("overlay-labels", png_data_uri(page.labels_png), page.preview, "The clusters in false colours",
              "layer labels") +
          img("overlay-edges-img", png_data_uri(page.boundaries_png), page.preview, "The cluster boundaries",
              "layer edges") +
          "</div>";
  html += "<ul class=\"legend\" aria-label=\"False colour of each cluster, and its palette colour\">";
  std::uint64_t total = 0;
  for (const std::uint64_t u : q.usage) total += u;
  for (const std::size_t i : page.by_share) {
    const double share = total == 0 || i >= q.usage.size() ? 0.0 : static_cast<double>(q.usage[i]) / static_cast<double>(total);
    html += "<li><i class=\"fc\" style=\"background:" + hex_colour(false_colour(i)) +
            "\"></i><span class=\"arrow\">\xe2\x86\x92</span><i class=\"fc\" style=\"background:" + css_colour(q.palette[i]) +
            "\"></i><span>" + hex_colour(q.palette[i]) + " \xc2\xb7 " + percent(share, 1) + "</span></li>";
  }
  return html + "</ul></section>";
}

}  // namespace kmq::report
