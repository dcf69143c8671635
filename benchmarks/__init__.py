"""Speed comparisons against PyTorch (``make bench``); timings live here, never in tests."""
