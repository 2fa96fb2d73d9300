"""A stand-in for a sales channel's API (a subset of Shopify's Admin REST API), for tests and demos."""
