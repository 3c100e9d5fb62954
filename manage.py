#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuronpedia_site.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "services":
        # `services stop|status` must not start the embedded servers it is asked about.
        os.environ.setdefault("NP_SERVICES_NOSTART", "True")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
