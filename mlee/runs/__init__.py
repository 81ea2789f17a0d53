"""What to run and one run: datasets, methods, search spaces, the run specification and record, the run-folder format, quality, robustness and complexity, interrupts."""
