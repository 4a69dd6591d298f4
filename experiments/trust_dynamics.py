"""Pattern 5: trust builds slowly and breaks fast; path dependence.

Source: Pant & Yu (2025); Ansell & Gash (2008).

Usage::

    python experiments/trust_dynamics.py [--quick] [--workers N] [--out DIR]

A thin script: it runs ``collabsim replicate --only trust_dynamics``. The design, statistics and
criterion come from ``configs/replication.toml``; the report goes to a new tagged folder under
``results/replication/``.
"""

import sys

from collabsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["replicate", "--only", "trust_dynamics", *sys.argv[1:]]))
