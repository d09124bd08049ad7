"""A run report a person can open: one self-contained HTML page (`run --report`, `report --html`)."""
