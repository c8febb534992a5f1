"""The catalogue's REST API: datasets and classes."""
