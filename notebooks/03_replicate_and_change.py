# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Replicate one finding, then change one assumption
#
# collabsim's replication checks six published findings (patterns) against criteria declared
# *before* the runs, in the packaged `replication.toml`. Here: one pattern, "not speed"
# (turnover slows consensus and impact: consensus has to be re-made), at the quick (CI) size.
# Then we change one assumption of its design, the collaboration it is tested in, and see
# whether the finding still holds.

# %%
import dataclasses

import collabsim
from collabsim.replication import load_criteria

criteria = load_criteria()  # the packaged, pre-declared criteria
spec = criteria.patterns["not_speed"]
for (
    part
) in spec.parts:  # each part: the claim, its labels and the criterion declared before the runs
    print(f"({part.id}) {part.claim}")
    print(f"    {part.check}, calibration {part.calibration}; criterion: {part.criterion}")
spec.levels

# %% [markdown]
# ## The pattern as declared

# %%
rep = collabsim.replicate(["not_speed"], quick=True)
result = rep.results["not_speed"]
print(result.verdict, "-", rep.n_runs, "runs")
for check in result.checks:
    print(f"({check.part}) {'PASS' if check.passed else 'FAIL'}  {check.statistic}")

# %%
result.table

# %%
result.figure

# %% [markdown]
# ## Change one assumption: a Louisville-like collaboration
# The design tests turnover in the baseline scenario. Does turnover still slow things where
# there are prior ties, a navigator, data use and community engagement? The criteria stay as
# declared; only the design's scenario changes.

# %%
levels = {**spec.levels, "scenario": "louisville"}
changed = dataclasses.replace(
    criteria,
    patterns={**criteria.patterns, "not_speed": dataclasses.replace(spec, levels=levels)},
)
rep_lou = collabsim.replicate(["not_speed"], quick=True, criteria=changed)
result_lou = rep_lou.results["not_speed"]
for a, b in zip(result.checks, result_lou.checks, strict=True):
    verdicts = ("PASS" if a.passed else "FAIL", "PASS" if b.passed else "FAIL")
    print(f"({a.part}) baseline: {verdicts[0]}   louisville: {verdicts[1]}   {a.statistic}")

# %%
result_lou.table

# %% [markdown]
# A changed assumption is an experiment, not a new criterion: report it next to the declared
# result, with its own design. `collabsim replicate --config my_criteria.toml` does the same
# from a file (a copy of the packaged `replication.toml` with the change).
