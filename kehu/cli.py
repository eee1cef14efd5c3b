"""The ``kehu`` console script: one command for everything a user or operator runs.

``kehu run``, ``kehu demo``, ``kehu worker``, ``kehu backup`` and ``kehu restore`` are Kehu's
own management commands; every other Django command (``kehu migrate``,
``kehu createsuperuser`` ...) passes straight through.
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    from django.core.management import execute_from_command_line

    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()  # before Django reads the settings: they take the secret key from there
    argv = list(argv if argv is not None else ["kehu", *sys.argv[1:]])
    if len(argv) == 1:
        argv.append("help")
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
