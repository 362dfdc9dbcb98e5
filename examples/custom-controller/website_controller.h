// The Website controller: keeps a Deployment and a Service for every Website, owned by it
// (so the garbage collector removes them with it), and reports the site's URL and ready
// replicas in its status.
#ifndef EXAMPLES_CUSTOM_CONTROLLER_WEBSITE_CONTROLLER_H_
#define EXAMPLES_CUSTOM_CONTROLLER_WEBSITE_CONTROLLER_H_

#include "absl/status/status.h"
#include "examples/custom-controller/website.pb.h"
#include "lib/api/scheme/scheme.h"
#include "lib/controllers/runtime/manager.h"

namespace example {

// Registers websites.example.com/v1 (namespaced, with a status subresource) in `scheme`.
absl::Status RegisterWebsite(rudder::api::Scheme* scheme);

// Adds the controller (For<Website>().Owns<Deployment>().Owns<Service>()) to `manager`.
absl::Status AddWebsiteController(rudder::ctrl::Manager* manager);

}  // namespace example

#endif  // EXAMPLES_CUSTOM_CONTROLLER_WEBSITE_CONTROLLER_H_
