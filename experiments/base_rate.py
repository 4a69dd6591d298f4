"""Pattern 6: the base rate of success and time to impact (a calibration target).

Source: de Jong (2025), seed 001; Rivkin (2018), seed 003; LouieStat, seed 000.

Usage::

    python experiments/base_rate.py [--quick] [--workers N] [--out DIR]

A thin script: it runs ``collabsim replicate --only base_rate``. The design, statistics and
criterion come from ``configs/replication.toml``; the report goes to a new tagged folder under
``results/replication/``.
"""

import sys

from collabsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["replicate", "--only", "base_rate", *sys.argv[1:]]))
