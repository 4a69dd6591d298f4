"""Pattern 4: turnover slows consensus and impact (collective models are not speed).

Source: Mayor Greg Fischer in de Jong (2025), seed 001.

Usage::

    python experiments/not_speed.py [--quick] [--workers N] [--out DIR]

A thin script: it runs ``collabsim replicate --only not_speed``. The design, statistics and
criterion come from ``configs/replication.toml``; the report goes to a new tagged folder under
``results/replication/``.
"""

import sys

from collabsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["replicate", "--only", "not_speed", *sys.argv[1:]]))
