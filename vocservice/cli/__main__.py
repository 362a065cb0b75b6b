"""``python -m vocservice.cli``: the same CLI as the ``vocservice`` console script."""

from vocservice.cli import main

main()
