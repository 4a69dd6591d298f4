"""Pattern 3: without an entry point teams keep talking or perish.

Source: Martinez Orbegozo et al. (2022), J. Applied Behavioral Science.

Usage::

    python experiments/entry_points.py [--quick] [--workers N] [--out DIR]

A thin script: it runs ``collabsim replicate --only entry_points``. The design, statistics and
criterion come from ``configs/replication.toml``; the report goes to a new tagged folder under
``results/replication/``.
"""

import sys

from collabsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["replicate", "--only", "entry_points", *sys.argv[1:]]))
