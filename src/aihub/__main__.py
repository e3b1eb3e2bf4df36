"""``python -m aihub`` runs the CLI."""

from aihub.cli import main

main()
