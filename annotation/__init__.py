"""The schema's history: migrations only (see apps.py)."""
