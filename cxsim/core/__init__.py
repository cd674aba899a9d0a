"""Foundation shared by every layer: errors, configuration loading, atomic output, statistics, progress."""
