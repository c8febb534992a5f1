"""Image import: sources (folder, CSV manifest, S3 prefix), decoding and thumbnails in worker
processes, and the thin shell that stores files and rows."""
