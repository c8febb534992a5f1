"""The pure rule of each stage: plain data in, plain data out (no Django, no I/O)."""
