"""``python -m printstation``: the command line."""

from printstation.cli import main

if __name__ == "__main__":
    main()
