"""``python -m printstation``: the command line."""

from printstation.cli import main

main()
