"""specway's benchmark harness (``python -m bench``); figures are ratios from one run."""
