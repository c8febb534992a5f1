"""The read-only REST API: datasets, classes, images with their pipeline data, campaigns,
workers, and streamed label exports. Token or session authentication."""
