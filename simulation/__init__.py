"""A simulated crowd for the demo, tests and benchmarks; nothing in the product imports it."""
