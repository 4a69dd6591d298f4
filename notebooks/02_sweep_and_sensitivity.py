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
# # A sweep and a sensitivity analysis
#
# A **sweep** runs the model over a design (a grid, a Latin hypercube, Sobol or Morris points),
# several seeds per point. A **sensitivity analysis** asks which parameters move an outcome,
# and by how much, over their whole ranges (Sobol, Morris and PAWN indices, with a dummy
# parameter that shows the noise floor).
#
# Both are stored as resumable sweep folders under `results/sweeps/`: run a cell again and it
# reads the finished sweep instead of running it again (results are never overwritten).
# The sizes here are small, for a notebook; the guide is `docs/researchers.md`.

# %%
import matplotlib.pyplot as plt

import collabsim
from collabsim.sweep import Sweep, factors_from_params, make_design

OUT = "results/sweeps"

# %% [markdown]
# ## A grid: turnover and the navigator
# Does a navigator protect a collaboration against turnover? Three turnover rates, with and
# without a navigator, 8 seeds per point, two years.

# %%
factors = factors_from_params(
    ["turnover_rate", "navigator"], levels={"turnover_rate": [0.0, 0.3, 0.6]}, method="grid"
)
design = make_design("grid", factors)
sweep = Sweep("nb-turnover-navigator", design, base={"weeks": 104}, replicates=8, root_seed=11)
runs = collabsim.run_sweep(sweep, out=OUT, engine="serial")
runs[["point", "rep", "seed", "turnover_rate", "navigator", "collective_impact"]].head()

# %%
table = runs.pivot_table(
    index="turnover_rate", columns="navigator", values="collective_impact", aggfunc="mean"
)
table

# %%
ax = table.plot(marker="o", figsize=(5, 3.5), title="Mean collective impact after two years")
ax.set_ylabel("public value")

# %% [markdown]
# The packaged designs run the same way by name, e.g.
# `collabsim.run_sweep("sweep_turnover_navigator")` (or `collabsim sweep
# sweep_turnover_navigator` in a terminal), and a file of your own by its path.

# %% [markdown]
# ## Sobol indices of the key levers
# `sa_key_actions` varies 15 levers (the five key actions, entry points, turnover, loyalty,
# governance...) over their declared ranges. Sobol with base sample N costs N x (15 + 1 + 2)
# runs; N = 1024 is the real analysis. Here N = 16 and one year, so the intervals are wide:
# read the ranking, not the decimals.

# %%
sa = collabsim.run_sensitivity(
    "sa_key_actions", n=16, methods=["sobol"], overrides=["weeks=52"], out=OUT, engine="serial"
)
sa.designs

# %%
sobol = sa.sobol[sa.sobol["outcome"] == "collective_impact"]
sobol.sort_values("ST", ascending=False)[["parameter", "S1", "ST", "ST_conf", "above_noise"]].head(
    8
)

# %%
top = sobol.sort_values("ST").tail(8)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.barh(top["parameter"], top["ST"], xerr=top["ST_conf"])
ax.set(xlabel="total-order Sobol index", title="What moves collective impact (N = 16)")
fig.tight_layout()

# %% [markdown]
# The `dummy` row is a parameter that does nothing: indices at or below its level are noise,
# and the `above_noise` column says which indices clear it.
