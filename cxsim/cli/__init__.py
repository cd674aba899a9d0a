"""The ``cxsim`` command line (typer); the only layer besides the app that knows about typer."""
