// What the API's handlers share across their files (api_routes.cpp holds the
// route table and the image's own routes, api_downloads.cpp the files and the
// zip): looking an image up, reading parameters, and running a result or a
// curve on its queue.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <httplib.h>

#include "api_routes.hpp"
#include "image_store.hpp"
#include "image_work.hpp"
#include "request_settings.hpp"

namespace kmq::serve::routes {

using params_t = std::multimap<std::string, std::string>;

// The stored image, most recently used now; http_error 404 unknown_image when it is not there.
std::shared_ptr<prepared_image> find_image(api_context& context, const std::string& id);
// The query's parameters, each at most once (http_error 400 naming a repeated one).
params_t params_of(const httplib::Request& req);
// The full result of settings (kept with the image), made on the main queue;
// 404 when the image goes meanwhile.
std::shared_ptr<const full_result> full(api_context& context, const std::shared_ptr<prepared_image>& image,
                                        const request_settings& settings, std::uint64_t seq, const char* what);
// The image's error-against-K curve, made (or kept) on the curves' lane.
std::shared_ptr<const elbow_data> elbow_of(api_context& context, const std::shared_ptr<prepared_image>& image,
                                           const params_t& params, const request_settings& settings);

// The routes of api_downloads.cpp.
void download_file(api_context& context, const httplib::Request& req, httplib::Response& res);
void zip_all(api_context& context, const httplib::Request& req, httplib::Response& res);

}  // namespace kmq::serve::routes
