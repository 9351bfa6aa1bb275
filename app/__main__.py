"""`python -m app` runs the same server as the `normlens` command."""

from app.cli import main

main()
