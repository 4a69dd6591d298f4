"""Pattern 1: formal structure is no predictor of success; adaptability is.

Source: Pulido-Gomez, de Jong & Rivkin (2025), JPART.

Usage::

    python experiments/formal_structure.py [--quick] [--workers N] [--out DIR]

A thin script: it runs ``collabsim replicate --only formal_structure``. The design, statistics and
criterion come from ``configs/replication.toml``; the report goes to a new tagged folder under
``results/replication/``.
"""

import sys

from collabsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["replicate", "--only", "formal_structure", *sys.argv[1:]]))
