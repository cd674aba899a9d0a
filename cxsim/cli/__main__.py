"""``python -m cxsim.cli``: the command line."""

from cxsim.cli.main import main

main()
