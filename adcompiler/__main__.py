"""``python -m adcompiler demo``: the same as the ``adcompiler`` command."""
import sys

from .cli import main

sys.exit(main())
