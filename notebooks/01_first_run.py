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
# # A first run, and a comparison
#
# One simulated cross-sector collaboration: organizations from city agencies, nonprofits,
# businesses, funders and community groups, each represented by a few people, meeting week
# after week to agree on a plan and deliver it. Then many runs of two scenarios, compared.
#
# Every run has a seed. The same seed gives the same run, on any machine.

# %%
import matplotlib.pyplot as plt

import collabsim
from collabsim import CollaborationModel

# %% [markdown]
# ## One run
# Keyword arguments are declared parameters (`collabsim.PARAMS`, or `collabsim params` in a
# terminal). Here: a navigator (a trusted broker) and a quarter of the people leaving each year.

# %%
model = CollaborationModel(rng=7, navigator=True, turnover_rate=0.25)
model.run()  # one step is one week; it stops at the horizon (156 weeks) or if it perishes
model

# %%
ts = model.timeseries()  # one row per week; week 0 is the founding state
ts[["week", "public_value", "cross_trust", "safety", "shared_understanding", "legitimacy"]].tail()

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
ts.plot(x="week", y="public_value", ax=axes[0], title="Collective impact (public value)")
ts.plot(
    x="week",
    y=["cross_trust", "safety", "shared_understanding", "legitimacy"],
    ax=axes[1],
    title="The table",
)
fig.tight_layout()

# %% [markdown]
# The state the collaborative process cycle runs on: `cross_trust` (trust across organizations;
# pairs who never met count at a stranger's trust), `safety` (psychological safety: how safe
# people feel to talk about what went wrong), `shared_understanding` (share of pairs of people
# who see the problem alike) and `social_capital` (prior joint work between organizations).
# No lever enters an outcome probability directly: levers change this state, and the state
# decides (`docs/ODD.md`, section 4).

# %%
summary = model.summary()  # the per-run outcomes, and the seed
keys = ("collective_impact", "success", "weeks_to_first_win", "weeks_to_impact", "impact_by_156")
{k: summary[k] for k in (*keys, "cross_trust", "safety", "social_capital", "seed")}

# %%
model.events().head(10)  # wins, setbacks met by learning or blame, turnover...

# %% [markdown]
# ## What is in a parameter
# Every parameter is declared once, with its range, unit and where the number comes from.

# %%
p = collabsim.PARAMS["turnover_rate"]
p.description, p.range_text(), p.unit

# %% [markdown]
# ## Two scenarios over many seeds
# `load_scenario` reads a packaged scenario by name (or your own TOML file by path).
# `run_many` runs one scenario for many seeds spawned from one root seed: the same runs as
# `collabsim run louisville --reps 20 --seed 1` on the command line.

# %%
for name in ("baseline", "louisville"):
    print(name, "-", collabsim.load_scenario(name).description[:90], "...")

# %%
REPS, WEEKS = 20, 104  # two years; a notebook-sized run

runs = {}
for name in ("baseline", "louisville"):
    summaries, weekly = collabsim.run_many(name, reps=REPS, seed=1, weeks=WEEKS)
    runs[name] = (summaries, weekly)

table = {
    name: {
        "success rate": s["success"].mean(),
        "mean impact": s["collective_impact"].mean(),
        "perished": s["perished"].mean(),
    }
    for name, (s, _) in runs.items()
}
table

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, (_, weekly) in runs.items():
    band = weekly.groupby("week")["public_value"].quantile([0.25, 0.5, 0.75]).unstack()
    ax.plot(band.index, band[0.5], label=name)
    ax.fill_between(band.index, band[0.25], band[0.75], alpha=0.2)
ax.set(xlabel="week", ylabel="public value", title="Median and middle half of runs")
ax.legend()

# %% [markdown]
# Any run can be repeated exactly from its recorded seed:

# %%
first = runs["louisville"][0].iloc[0]
params = runs["louisville"][0].attrs["params"]
again = CollaborationModel(rng=int(first.seed), **params).run()
assert again.summary()["collective_impact"] == first.collective_impact
int(first.seed), first.collective_impact
