"""The pipeline's REST API: campaigns with their stage runs and streamed exports, and images
with the pipeline's data about them."""
