"""`make bench`: runs every benchmark module of this folder in name order.

A benchmark module has `main() -> None` that prints its figures. Nothing is asserted: timings
belong in reports, not in unit tests.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    only = set(sys.argv[1:])
    folder = Path(__file__).parent
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(folder)]) if m.name not in {"common", "__main__"}
    )
    for name in names:
        if only and name not in only:
            continue
        print(f"\n== {name}")
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
