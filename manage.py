#!/usr/bin/env python
"""Django's command-line entry point for Together."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "together.settings")
    from together.startup import exit_on_bad_configuration

    with exit_on_bad_configuration():
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
