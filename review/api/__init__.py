"""The expert review and evaluation through the REST API (read-only, same visibility as the
rest: staff see everything; other users the data of their campaigns' datasets)."""
