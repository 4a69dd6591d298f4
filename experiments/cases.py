"""Pattern 6: Hartford gridlocks; Louisville is slow but its value keeps rising.

Source: de Jong (2025), seed 001; Rivkin (2018), seed 003; LouieStat, seed 000.

Usage::

    python experiments/cases.py [--quick] [--workers N] [--out DIR]

A thin script: it runs ``collabsim replicate --only cases``. The design, statistics and
criterion come from ``configs/replication.toml``; the report goes to a new tagged folder under
``results/replication/``.
"""

import sys

from collabsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["replicate", "--only", "cases", *sys.argv[1:]]))
