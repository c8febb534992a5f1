"""The crowd's HIT pages (CONTAINS grids and CLASSIFY tasks) and their submit endpoints."""
