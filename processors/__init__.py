"""Stream processors: available-to-promise per SKU and warehouse, and order routing."""
