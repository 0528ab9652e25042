#include "catalog/catalog.hpp"

#include <gtest/gtest.h>

#include "core/errors.hpp"

namespace catalog = neuropod::catalog;
using neuropod::core::Micros;
using neuropod::core::ValidationError;

TEST(ImageReference, AcceptsWhatDockerAccepts) {
  for (const auto* ref :
       {"ubuntu", "ubuntu:24.04", "library/ubuntu:24.04", "ghcr.io/org/team/app:v1.2.3-rc.1",
        "registry.example.com:5000/app", "localhost:5000/x/y:latest",
        "yanwk/comfyui-boot:cu124-slim", "quay.io/jupyter/base-notebook:2024-10-02",
        "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "app:tag@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    EXPECT_TRUE(catalog::is_image_reference(ref)) << ref;
  }
}

TEST(ImageReference, RefusesWhatDockerRefuses) {
  for (const auto* ref :
       {"", "Ubuntu", "ubuntu:", ":tag", "ubuntu::24", "-ubuntu", "ubuntu-", "a//b",
        "app@sha256:short", "app:-tag", "with space", "app:tag\n", "ghcr.io/org/app@md5:0123"}) {
    EXPECT_FALSE(catalog::is_image_reference(ref)) << ref;
  }
  EXPECT_FALSE(catalog::is_image_reference("app:" + std::string(129, 'a')));
}

TEST(Quantity, KubernetesQuantities) {
  for (const auto* q : {"1", "500m", "0.5", "8Gi", "512Mi", "20G", "1Ti"}) {
    EXPECT_TRUE(catalog::is_quantity(q)) << q;
  }
  for (const auto* q : {"", "lots", "1.", ".5", "-1", "8 Gi", "1GB", "1e3"}) {
    EXPECT_FALSE(catalog::is_quantity(q)) << q;
  }
}

TEST(CustomPrice, TierPlusGpus) {
  auto s = catalog::default_settings(Micros::from_eur(10));
  s.gpu_price_per_hour = Micros(600'000);
  const auto& tier = s.tiers.at(1);
  EXPECT_EQ(catalog::custom_price(s, tier.id, 0), tier.price_per_hour);
  EXPECT_EQ(catalog::custom_price(s, tier.id, 2), tier.price_per_hour + Micros(1'200'000));
  EXPECT_THROW(catalog::custom_price(s, "no-such-tier", 0), ValidationError);
  EXPECT_THROW(catalog::custom_price(s, tier.id, 17), ValidationError);
}

TEST(TemplateJson, CollectsEveryProblem) {
  try {
    catalog::template_from_json({{"slug", "Bad"},
                                 {"image", "NOPE"},
                                 {"ports", {{{"port", 0}}, {{"port", 80}}, {{"port", 80}}}},
                                 {"resources", {{"cpu", "x"}}},
                                 {"price_per_hour_micros", -1}});
    FAIL() << "expected ValidationError";
  } catch (const ValidationError& e) {
    std::set<std::string> fields;
    for (const auto& f : e.fields()) {
      fields.insert(f.field);
    }
    for (const auto* f : {"slug", "name", "image", "ports[0].port", "ports[2].port",
                          "resources.cpu", "resources.memory", "price_per_hour_micros"}) {
      EXPECT_TRUE(fields.contains(f)) << f;
    }
  }
}

TEST(TemplateJson, DefaultsAndRoundTrip) {
  auto t = catalog::template_from_json({{"slug", "ubuntu-2"},
                                        {"name", "Ubuntu"},
                                        {"image", "ubuntu:24.04"},
                                        {"ports", {{{"port", 8080}}}},
                                        {"resources", {{"cpu", "1"}, {"memory", "1Gi"}}},
                                        {"price_per_hour_micros", 1}});
  EXPECT_EQ(t.workspace_path, "/workspace");
  EXPECT_TRUE(t.enabled);
  ASSERT_EQ(t.ports.size(), 1U);
  EXPECT_EQ(t.ports[0].protocol, "http");
  EXPECT_EQ(t.ports[0].name, "port-8080");
  const auto j = catalog::to_json(t);
  EXPECT_EQ(j["resources"]["gpus"], 0);
  EXPECT_EQ(j["resources"]["ephemeral_storage"], "10Gi");
}
