"""Event contracts: the Avro schemas in schemas/, their compatibility rules, lint, and generated docs."""
