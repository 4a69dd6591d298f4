"""Pattern 2: each of the five key actions raises success, mostly through learning.

Source: Pulido-Gomez, de Jong & Rivkin (2025), JPART.

Usage::

    python experiments/key_actions.py [--quick] [--workers N] [--out DIR]

A thin script: it runs ``collabsim replicate --only key_actions``. The design, statistics and
criterion come from ``configs/replication.toml``; the report goes to a new tagged folder under
``results/replication/``.
"""

import sys

from collabsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["replicate", "--only", "key_actions", *sys.argv[1:]]))
