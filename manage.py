#!/usr/bin/env python
"""Django's command-line utility; the `kehu` console script is the user-facing equivalent."""

import sys

from kehu.cli import main

if __name__ == "__main__":
    sys.exit(main(["manage.py", *sys.argv[1:]]))
