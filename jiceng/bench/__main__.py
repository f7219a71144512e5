"""python -m jiceng.bench: measure the key pages against their bare baselines (docs/performance.md)."""

import sys

from jiceng.bench.runner import main

sys.exit(main(sys.argv[1:]))
