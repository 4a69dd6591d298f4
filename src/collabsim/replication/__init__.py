"""Pattern-oriented validation: replicate the published findings with statistics.

The criteria are declared before the runs in ``configs/replication.toml`` (:mod:`.criteria`);
each pattern's design becomes seeded runs (:mod:`.design`), all run in one pool
(:mod:`.runner`), each pattern's module computes its statistics, checks them against the
criteria and draws its figure (:mod:`.patterns`), and :mod:`.report` writes REPORT.md, an HTML
version with the figures embedded, one CSV per pattern and metadata.json. ``collabsim
replicate`` (:mod:`.cli`) does it all with one command.
"""

from collabsim.replication.criteria import Criteria, PatternSpec, load_criteria
from collabsim.replication.replicate import Replication, plan, replicate
from collabsim.replication.result import Check, Estimate, PatternResult

__all__ = [
    "Check",
    "Criteria",
    "Estimate",
    "PatternResult",
    "PatternSpec",
    "Replication",
    "load_criteria",
    "plan",
    "replicate",
]
