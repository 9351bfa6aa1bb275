"""`python -m normlens.app` runs the same server as the `normlens` command."""

from normlens.app.cli import main

main()
