"""Production settings plus the bare baseline views of the benchmark (`JICENG_BENCH=1` adds them)."""

import os

from jiceng.settings import *  # noqa: F403

if os.environ.get("JICENG_BENCH") == "1":
    ROOT_URLCONF = "jiceng.bench.urls"
