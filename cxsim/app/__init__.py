"""The classroom app (Solara); importing this package does not import Solara."""
