"""Reference implementation: the model's dynamics (revision 2) written the idiomatic Mesa way.

Every representative is a Mesa :class:`~mesa.Agent` that holds its own attributes (frame,
openness, commitment, loyalty, effort, effectiveness, psychological safety, trust in the
navigator) and a dict of its directed trust in each partner it has met; every organization is
an agent too, with a dict of its social capital with each partner organization. Each week the
model activates the agents, and each agent loops over its partners in Python: the way a Mesa
tutorial would write the model. The prior-relationship network is built with networkx, and
agent-level draws come from the model's ``random`` (Python's generator, seeded with the run's
seed).

It has two uses:

- the peer to race in ``benchmarks/bench_model.py`` (the vectorized
  :class:`collabsim.CollaborationModel` must be much faster);
- an oracle: ``tests/test_reference.py`` checks that the two implementations agree in
  distribution on the key outcomes over many seeds.

It implements the same submodels, in the same order, with the same equations and parameters
(read from :mod:`collabsim.params`). Collaboration-level scalar formulas (mode fit, learning
odds, leverage, uptake, evidence noise, a signal's weight) are shared with the package;
everything about people, organizations and relationships (turnover with its learning curve,
newcomers' safety and hand-over, social capital at the founding, in new ties, after joint work
and after departures; meetings, bounded confidence, trust signals and updates; the climate;
residents' and data signals; support, members' backing, mediation, learning and blame; effort,
capacity, governance transitions, and every measure) is written here again, agent by agent.
Meetings in a week are synchronous: each agent reads the partners' state as it was at the
start of the meetings, then all agents apply their updates (Mesa's two-phase
``do("converse")`` / ``do("advance")`` idiom).
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import Any

import mesa
import networkx as nx

from collabsim.mechanisms import climate as cl
from collabsim.mechanisms import entry_point as ep
from collabsim.mechanisms import governance as gov
from collabsim.mechanisms import projects as pj
from collabsim.mechanisms import stat_meeting as sm
from collabsim.model import (
    OTHER_SECTOR_WEIGHTS,
    PROVIDERS,
    SECTOR_CAPACITY,
    SECTOR_PRESSURE,
    resolve_seed,
)
from collabsim.outcomes import CONSENSUS_HIGH, CONSENSUS_LOW, ENTRY_WINDOW
from collabsim.params import GOVERNANCE_MODES, SECTORS, make_params, validate
from collabsim.state import Project


def _py(fn: Any) -> Any:
    """The plain-Python body of a compiled function of the package (it reads ``Params``)."""
    return getattr(fn, "py_func", fn)


__all__ = ["Organization", "Person", "ReferenceModel"]


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


def _asym(t: float, signal: float, gain: float, loss: float) -> float:
    """The asymmetric trust update for one value (what ``update_trust`` does on arrays)."""
    return t + gain * (1.0 - t) * signal if signal >= 0 else t + loss * t * signal


class Organization(mesa.Agent):
    """A member organization: sector, home frame, pressure, capacity, seats, social capital."""

    def __init__(self, model: ReferenceModel, index: int, sector: int) -> None:
        super().__init__(model)
        self.index = index
        self.sector = sector
        self.home_frame = 0.0
        self.pressure = 0.0
        self.capacity = 0.0
        self.provider = bool(PROVIDERS[sector])
        self.weight = 0.0
        self.seats: list[Person] = []
        self.capital: dict[Organization, float] = {}  # prior joint work with each partner

    def mean_effort(self) -> float:
        """Mean effort of this organization's representatives."""
        return sum(p.effort for p in self.seats) / len(self.seats)

    def capital_with(self, other: Organization) -> float:
        """Social capital with ``other`` (0 with itself or without joint work)."""
        return 0.0 if other is self else self.capital.get(other, 0.0)

    def gain_capital(self, other: Organization, share: float) -> None:
        """Close ``share`` of the gap to full social capital with ``other`` (both sides)."""
        k = self.capital.get(other, 0.0)
        k += share * (1.0 - k)
        self.capital[other] = k
        other.capital[self] = k

    def lose_capital(self, factor: float) -> None:
        """Multiply the social capital with every partner by ``factor`` (both sides)."""
        for other in self.capital:
            self.capital[other] *= factor
            other.capital[self] *= factor


class Person(mesa.Agent):
    """A representative at the table, with a dict of trust in each partner met."""

    def __init__(self, model: ReferenceModel, seat: int, org: Organization) -> None:
        super().__init__(model)
        p = model.p
        self.seat = seat
        self.org = org
        self.frame = 0.0
        self.openness = 0.0
        self.commitment = 0.0
        self.loyalty = 0.0
        self.effort = 0.0
        self.tenure = 0
        self.founder = True
        self.skill = 1.0  # effectiveness at the table (newcomers climb a learning curve)
        self.safety = p.safety_initial
        self.nav_trust = p.navigator_trust if p.navigator else 0.0
        self.trust: dict[Person, float] = {}
        self.meetings: list[tuple[Person, float]] = []
        self._move = 0.0
        self._new_trust: dict[Person, float] = {}

    # --------------------------------------------------------------------- turnover
    def draw(self) -> None:
        """Take fresh attributes: the home organization's frame, not the consensus."""
        m = self.model
        p, g = m.p, m.random.gauss
        frame = self.org.home_frame + 0.25 * p.frame_spread * g(0.0, 1.0)
        if p.navigator and math.isfinite(m.plan) and m.adopted > 0:
            frame += p.onboarding * (m.plan - frame)  # institutional memory
        self.frame = _clip(frame)
        self.openness = _clip(p.openness * (1.0 + 0.25 * g(0.0, 1.0)), 0.01, 1.0)
        self.commitment = _clip(p.commitment + 0.1 * g(0.0, 1.0))
        self.loyalty = _clip(p.loyalty + 0.1 * g(0.0, 1.0))
        self.tenure = 0

    def arrive(self, team_safety: float, nav_now: float) -> None:
        """Become a newcomer: little commitment, safety and skill; some trust in the navigator."""
        p = self.model.p
        self.draw()
        self.commitment *= p.newcomer_commitment
        self.founder = False
        self.skill = p.newcomer_skill
        safe = p.newcomer_safety * team_safety
        if p.navigator:  # onboarding closes part of the gap to the team's safety
            safe += p.onboarding * (team_safety - safe)
            self.nav_trust = p.newcomer_nav_trust * nav_now
        self.safety = safe

    # --------------------------------------------------------------------- effort
    def split_effort(self) -> None:
        """Effort: commitment against loyalty times home pressure, scaled by effectiveness."""
        c = self.commitment
        self.effort = self.skill * c / (c + self.loyalty * self.org.pressure + 1e-12)

    # --------------------------------------------------------------------- dialogue
    def converse(self) -> None:
        """Read this week's meetings from the state at their start (nothing is written yet)."""
        p = self.model.p
        jps = p.joint_problem_solving
        reach = self.openness * (1.0 + jps)
        base = jps * p.jps_signal
        pen = (1.0 - jps) * p.conflict_signal
        x = self.frame
        move = 0.0
        new: dict[Person, float] = {}
        for partner, bonus in self.meetings:
            d = partner.frame - x
            t = self.trust[partner]
            # people hear out those they trust from further away
            within = abs(d) < reach * (p.trust_reach_base + t)
            if within:
                move += p.frame_step * t * d
            signal = 2.0 * (partner.effort - p.effort_expected) + base + bonus
            if not within:  # conflict, softened by trust
                signal -= pen * (1.0 - t)
            signal = _clip(signal, -1.0, 1.0)
            new[partner] = _asym(t, signal, p.trust_gain, p.trust_loss)
        self._move = move
        self._new_trust = new

    def advance(self) -> None:
        """Apply this week's frame move and trust updates."""
        self.frame = _clip(self.frame + self._move)
        self.trust.update(self._new_trust)
        self.meetings = []
        self._new_trust = {}

    # --------------------------------------------------------------------- climate and signals
    def feel_climate(self, target: float) -> None:
        """Safety moves toward the team climate, as fast as this person takes part."""
        rate = self.model.p.safety_rate
        self.safety = _clip(self.safety + rate * self.effort * (target - self.safety))

    def pull(self, target: float, share: float) -> None:
        """Move the frame toward ``target`` by ``share`` of the gap times effort."""
        self.frame = _clip(self.frame + share * self.effort * (target - self.frame))

    def accepts(self, position: float, widen: float = 1.0) -> bool:
        """Whether ``position`` is within this person's openness (widened by ``widen``)."""
        return abs(self.frame - position) < self.openness * widen


class ReferenceModel(mesa.Model):
    """The collaboration model, agent by agent (see the module docstring).

    Args:
        rng: Integer seed (or SeedSequence); drawn and recorded if None.
        **params: Overrides of declared parameters.
    """

    def __init__(self, *, rng: Any = None, **params: Any) -> None:
        values = validate(params)
        seed = resolve_seed(rng)
        super().__init__(rng=seed)
        self.seed = seed
        self.params = values
        self.p = make_params(values)
        self.events: list[tuple[int, str, str]] = []
        self.history: list[float] = []  # public value at the end of each week (0: founding)
        self._init_collaboration()
        self._build()
        self._measure()
        self.running = True

    # ------------------------------------------------------------------ construction
    def _init_collaboration(self) -> None:
        self.mode = GOVERNANCE_MODES.index(self.p.governance)
        self.legitimacy = 0.5
        self.capacity_oc = 0.0
        self.public_value = 0.0
        self.evidence_precision = 0.0
        self.backing = 0.0  # residents' backing of the programs (co-production)
        self.plan = float("nan")
        self.programs = 0.0
        self.project: Project | None = None
        self.transition_until = 0
        for name in (
            "mean_trust working_trust trust_density consensus plan_support cross_trust "
            "cross_density team_safety understanding social_capital navigator_trust"
        ).split():
            setattr(self, name, 0.0)
        for name in (
            "adopted wins setbacks learning blame proposals governance_changes "
            "leadership_shocks leavers_total weeks_below_floor consensus_remade"
        ).split():
            setattr(self, name, 0)
        for name in (
            "first_win_week first_adoption_week first_setback_week impact_week "
            "last_win_week perished_week"
        ).split():
            setattr(self, name, -1)
        self.pause_until = 0
        self.perished = False
        self.consensus_reached = False
        self.consensus_lost = False

    def _build(self) -> None:
        p, r = self.p, self.random
        n_orgs = p.n_orgs
        orgs = []
        for i in range(n_orgs):
            other = r.random() < p.diversity
            pick = r.choices(range(1, 5), weights=OTHER_SECTOR_WEIGHTS.tolist())[0]
            orgs.append(Organization(self, i, pick if other and i > 0 else 0))
        self.orgs = orgs
        shares = [sum(o.sector == k for o in orgs) / n_orgs for k in range(len(SECTORS))]
        self.div_index = (1.0 - sum(s * s for s in shares)) / (1.0 - 1.0 / len(SECTORS))
        self.theta = 0.2 + 0.6 * r.random()
        # residents' views centre near, not at, the leverage point; community groups share
        # them; the data carry their own systematic bias
        self.resident_center = _clip(self.theta + p.resident_bias * r.gauss(0.0, 1.0))
        self.data_bias = p.data_bias * r.gauss(0.0, 1.0)
        centers = [r.random() for _ in SECTORS]
        centers[4] = self.resident_center
        for o in orgs:
            o.home_frame = _clip(centers[o.sector] + p.frame_spread * r.gauss(0.0, 1.0))
            o.pressure = _clip(
                p.home_pressure * float(SECTOR_PRESSURE[o.sector]) * (0.75 + 0.5 * r.random())
            )
            o.capacity = float(SECTOR_CAPACITY[o.sector]) * math.exp(0.2 * r.gauss(0.0, 1.0))
        total = sum(o.capacity for o in orgs)
        for o in orgs:
            o.weight = o.capacity / total
        self.project_pos = [r.random() for _ in range(p.n_projects)]
        self.project_size = [0.5 + r.random() for _ in range(p.n_projects)]
        people = []
        for o in orgs:
            for _ in range(p.reps_per_org):
                person = Person(self, len(people), o)
                o.seats.append(person)
                people.append(person)
        self.people = people
        for person in people:
            person.draw()
        g = self._prior_network()
        past_projects: dict[tuple[Organization, Organization], int] = {}
        for a, b, d in g.edges(data=True):
            pa, pb = people[a], people[b]
            pa.trust[pb] = d["trust"]
            pb.trust[pa] = d["trust"]
            if d["kind"] == "prior" and pa.org is not pb.org:  # one past joint project
                pair = (pa.org, pb.org) if pa.org.index < pb.org.index else (pb.org, pa.org)
                past_projects[pair] = past_projects.get(pair, 0) + 1
        for (oa, ob), count in past_projects.items():  # founding social capital (Gulati)
            k = 1.0 - (1.0 - p.capital_gain) ** count
            oa.capital[ob] = k
            ob.capital[oa] = k
        for person in people:
            person.split_effort()
        # outward orientation reaches proposals only through community engagement
        self.proposal_chance = (
            p.proposal_rate * (0.25 + 0.75 * self.div_index) * (0.25 + 0.75 * p.initiative)
        )
        # cross-organization ordered pairs of people (never-met pairs count at stranger trust)
        n = len(people)
        self.cross_pairs = n * (n - 1) - sum(len(o.seats) * (len(o.seats) - 1) for o in orgs)

    def _prior_network(self) -> nx.Graph:
        """Colleague ties plus team assembly (Guimera et al. 2005), written with networkx."""
        p, r = self.p, self.random
        n = len(self.people)
        g = nx.Graph()
        g.add_nodes_from(range(n))
        for o in self.orgs:
            seats = [s.seat for s in o.seats]
            for i, a in enumerate(seats):
                for b in seats[i + 1 :]:
                    g.add_edge(a, b, trust=p.colleague_trust, kind="colleague")
        n_teams = round(p.prior_history * n / p.past_team_size)
        if n_teams <= 0 or n < 2:
            return g
        fresh = list(range(n))
        r.shuffle(fresh)
        incumbents: list[int] = []
        partners: dict[int, set[int]] = {}
        for _ in range(n_teams):
            team: list[int] = []
            for _slot in range(min(p.past_team_size, n)):
                person = -1
                if (r.random() < p.prior_p or not fresh) and incumbents:
                    pool: list[int] = []
                    if r.random() < p.prior_q:
                        pool = [c for m in team for c in partners.get(m, ()) if c not in team]
                    if not pool:
                        pool = [c for c in incumbents if c not in team]
                    if pool:
                        person = r.choice(pool)
                if person < 0 and fresh:
                    person = fresh.pop()
                    incumbents.append(person)
                if person >= 0 and person not in team:
                    team.append(person)
            for i, a in enumerate(team):
                for b in team[i + 1 :]:
                    partners.setdefault(a, set()).add(b)
                    partners.setdefault(b, set()).add(a)
                    if not g.has_edge(a, b):
                        g.add_edge(a, b, trust=p.prior_trust, kind="prior")
        for _a, _b, d in g.edges(data=True):
            if d["kind"] == "prior" and r.random() < p.conflict_history:
                d["trust"] = 0.5 * p.stranger_trust
                d["kind"] = "conflict"
        return g

    # ------------------------------------------------------------------ helpers
    def log(self, week: int, kind: str, text: str) -> None:
        """Append an event to the log."""
        self.events.append((week, kind, text))

    def ties(self) -> list[tuple[Person, Person]]:
        """Every relationship once, as (person, partner)."""
        return [(a, b) for a in self.people for b in a.trust if a.seat < b.seat]

    @property
    def n_orgs(self) -> int:
        """Number of organizations."""
        return len(self.orgs)

    def uptake(self) -> float:
        """Program uptake: legitimacy times residents' backing (written here, as in ODD 7.5)."""
        return self.legitimacy * (0.35 + 0.65 * self.backing)

    def live_safety(self) -> float:
        """Members' mean psychological safety now (events of this week included)."""
        return sum(q.safety for q in self.people) / len(self.people)

    def _learning_chance(self) -> float:
        """Chance that a setback now is met by learning: state only (shared formula)."""
        return _py(pj.learning_probability)(
            self.p, self.cross_trust, self.evidence_precision, self.live_safety()
        )

    def _signal_weight(self, source_trust: float) -> float:
        """Weight of a signal from a source trusted ``source_trust`` (shared formula)."""
        return _py(cl.signal_weight)(self.p, source_trust, self.team_safety)

    def _new_tie(self, a: Person, b: Person) -> float:
        """Trust of a new tie: stranger trust, warmer between organizations with capital."""
        p = self.p
        t0 = p.stranger_trust
        return t0 + p.capital_warmth * a.org.capital_with(b.org) * (1.0 - t0)

    def _fits(self, size: float) -> Any:
        """Fit of each governance mode to the measured conditions (shared formula)."""
        return gov.fits(self.n_orgs, self.cross_density, self.understanding, min(1.0, size))

    def _adapt(self, week: int, fit: Any) -> None:
        """An adaptable collaboration moves to a clearly better-fitting mode, at a cost."""
        p = self.p
        if not p.adaptable:
            return
        best = max(range(len(fit)), key=lambda i: fit[i])
        if best != self.mode and fit[best] > fit[self.mode] + p.switch_margin:
            old = GOVERNANCE_MODES[self.mode]
            self.mode = best
            self.governance_changes += 1
            self.pause_until = week + p.switch_pause
            self.transition_until = week + p.transition_weeks
            for q in self.people:
                q.commitment -= p.transition_commitment * q.commitment
            self.log(
                week, "governance", f"governance changed from {old} to {GOVERNANCE_MODES[best]}"
            )

    # ------------------------------------------------------------------ submodels
    def turnover(self, week: int) -> None:
        """Submodel 1: leavers replaced by newcomers; trust handed over in part; capital breaks."""
        p, r = self.p, self.random
        leaving = {person for person in self.people if r.random() < p.hazard}
        if p.shock_hazard > 0.0 and r.random() < p.shock_hazard:
            center = r.random()
            for o in self.orgs:
                if o.sector == 0:
                    o.home_frame = _clip(center + p.frame_spread * r.gauss(0.0, 1.0))
                    leaving.update(o.seats)
            self.leadership_shocks += 1
            self.log(week, "shock", "leadership change: every city-agency seat turns over")
        for person in self.people:
            person.tenure += 1
            person.skill += (1.0 - person.skill) / p.learning_weeks  # the learning curve
        if not leaving:
            return
        leavers = sorted(leaving, key=lambda q: q.seat)
        self.leavers_total += len(leavers)
        stayers = [q for q in self.people if q not in leaving]
        if stayers:
            team_safety = sum(q.safety for q in stayers) / len(stayers)
            nav_now = sum(q.nav_trust for q in stayers) / len(stayers)
        else:
            team_safety, nav_now = p.safety_initial, p.navigator_trust
        for person in leavers:
            person.arrive(team_safety, nav_now)
        onboard = p.onboarding if p.navigator else 0.0
        t0 = p.stranger_trust
        for person in leavers:
            for partner in person.trust:
                if partner in leaving and partner.seat < person.seat:
                    continue  # this tie was handed over already
                # more trust survives between organizations that worked together
                k = person.org.capital_with(partner.org)
                h = p.handoff + p.capital_handoff * k * (1.0 - p.handoff)
                h += onboard * (1.0 - h)
                person.trust[partner] = h * person.trust[partner] + (1.0 - h) * t0
                partner.trust[person] = h * partner.trust[person] + (1.0 - h) * t0
        # each departure takes capital_loss / reps of its organization's social capital along
        for o in self.orgs:
            gone = sum(q in leaving for q in o.seats)
            if gone:
                o.lose_capital((1.0 - p.capital_loss / p.reps_per_org) ** gone)
        self.evidence_precision *= 1.0 - (len(leavers) / len(self.people)) * (1.0 - onboard)
        self.log(week, "turnover", f"{len(leavers)} newcomer(s) joined")

    def dialogue(self, week: int) -> None:
        """Submodel 3: meetings; each agent loops over its partners (two phases)."""
        p, r = self.p, self.random
        people = self.people
        n = len(people)
        if n < 2 or p.meeting_rate <= 0.0:
            return
        m = int(p.meeting_rate * n / 2 + r.random())
        ties = self.ties()
        m_tie = int(p.tie_share * m) if ties else 0
        meetings: list[tuple[Person, Person, float]] = []
        if m_tie:
            weights = [p.tie_base_weight + a.trust[b] + b.trust[a] for a, b in ties]
            meetings += [(a, b, 0.0) for a, b in r.choices(ties, weights=weights, k=m_tie)]
        for _ in range(m - m_tie):
            i = r.randrange(n)
            j = r.randrange(n - 1)
            j += j >= i
            meetings.append((people[i], people[j], 0.0))
        if p.navigator and p.navigator_brokered > 0.0:
            for _ in range(int(p.navigator_brokered * n / 2 + r.random())):
                a, b = people[r.randrange(n)], people[r.randrange(n)]
                if a is not b and a.org.sector != b.org.sector:
                    bonus = p.broker_signal * 0.5 * (a.nav_trust + b.nav_trust)
                    meetings.append((a, b, bonus))
        for a, b, bonus in meetings:
            if b not in a.trust:  # strangers who meet get a tie
                t = self._new_tie(a, b)
                a.trust[b] = t
                b.trust[a] = t
            a.meetings.append((b, bonus))
            b.meetings.append((a, bonus))
        self.agents_by_type[Person].do("converse")
        self.agents_by_type[Person].do("advance")

    def climate(self, week: int) -> None:
        """Submodel 3 (end): each member's safety moves toward the team climate."""
        p = self.p
        target = min(1.0, self.cross_trust + p.jps_safety * p.joint_problem_solving)
        for q in self.people:
            q.feel_climate(target)

    def stat_meeting(self, week: int) -> None:
        """Submodel 4: a noisy, biased reading, used as far as the team's safety allows."""
        p, r = self.p, self.random
        if not p.data_use or week % p.stat_interval:
            return
        ev = self.theta + self.data_bias + _py(sm.evidence_noise)(p, p.data_quality) * r.gauss(0, 1)
        w = self._signal_weight(p.data_quality)
        for person in self.people:
            person.pull(ev, p.data_pull * w)
        if math.isfinite(self.plan):
            self.plan += p.data_pull * w * (ev - self.plan)
        pr = self.project
        if pr is not None and pr.entry_point:
            pr.position += 0.5 * p.provisionality * w * (ev - pr.position)
            pr.leverage = ep.leverage(pr.position, self.theta, p.leverage_width)
        if p.data_quality > self.evidence_precision:
            gap = p.data_quality - self.evidence_precision
            self.evidence_precision += p.precision_step * w * gap
        if self.adopted > 0:
            self.legitimacy += p.transparency_gain * (1.0 - self.legitimacy)

    def community(self, week: int) -> None:
        """Submodel 5: residents' backing; each member hears residents once per engaged stage."""
        p, r = self.p, self.random
        k = p.community_stages
        target = min(1.0, k / 3.0) if k >= 3 else 0.0  # co-production needs implementation
        self.backing += p.backing_rate * (target - self.backing)
        if k <= 0:
            return
        pull = min(1.0, p.community_pull * k * self._signal_weight(p.resident_trust))
        spread = p.resident_spread / math.sqrt(k)  # the mean of k residents' views
        for person in self.people:
            person.pull(self.resident_center + spread * r.gauss(0.0, 1.0), pull)
        self.legitimacy += p.community_legitimacy * p.kappa * (1.0 - self.legitimacy)
        ceiling = p.community_evidence_ceiling * p.kappa
        if self.evidence_precision < ceiling:
            self.evidence_precision += p.community_evidence * (ceiling - self.evidence_precision)

    def _decide(self, support: dict[Person, bool]) -> bool:
        if self.mode == gov.LEAD:
            lead = [support[q] for q in self.orgs[0].seats]
            return sum(lead) / len(lead) >= 0.5
        share = sum(support.values()) / len(support)
        return share >= (self.p.shared_quorum if self.mode == gov.SHARED else self.p.nao_quorum)

    def entry_point(self, week: int) -> None:
        """Submodel 6: maybe a proposal; members support it; the mode's rule decides."""
        p, r = self.p, self.random
        if self.project is not None or week < self.pause_until:
            return
        if r.random() >= self.proposal_chance:
            return
        self.proposals += 1
        people = self.people
        proposer = r.choices(people, weights=[q.effort for q in people])[0]
        aim = proposer.frame
        if p.community_stages >= 2:  # residents help design: a resident's view, weighed
            view = self.resident_center + p.resident_spread * r.gauss(0.0, 1.0)
            aim += p.design_pull * self._signal_weight(p.resident_trust) * (view - aim)
        if p.entry_points:  # a small, provisional project
            k = min(range(p.n_projects), key=lambda i: abs(self.project_pos[i] - aim))
            z, size, widen = self.project_pos[k], p.entry_scope * self.project_size[k], 1.0
            widen += p.provisionality
        else:  # a plan for the whole problem
            z, size, widen = aim, 1.0, 1.0
        support = {q: q.accepts(z, widen) and q.effort > p.effort_min for q in people}
        passes = self._decide(support)
        share = sum(support.values()) / len(people)
        provisional = bool(p.entry_points)
        if not provisional and min(share, self.understanding) < p.near_full_consensus:
            passes = False
        fit = self._fits(size)
        if not passes or r.random() >= p.adopt_floor + (1.0 - p.adopt_floor) * fit[self.mode]:
            self.log(week, "proposal", f"proposal at {z:.2f} not adopted ({share:.0%} support)")
            # a failed decision is a small setback: an adaptable collaboration may learn from it
            if p.adaptable and r.random() < self._learning_chance():
                self._adapt(week, fit)
            return
        dur = max(p.min_project_weeks, round(p.project_weeks * size))
        self.project = Project(
            position=z,
            size=size,
            leverage=ep.leverage(z, self.theta, p.leverage_width),
            duration=dur,
            started=week,
            entry_point=provisional,
        )
        self.adopted += 1
        self.plan = z if not math.isfinite(self.plan) else 0.5 * (self.plan + z)
        if self.first_adoption_week < 0:
            self.first_adoption_week = week
        if self.mode == gov.SHARED:
            self.legitimacy += p.shared_legitimacy * (1.0 - self.legitimacy)
        elif self.mode == gov.LEAD:
            for q in people:
                if not support[q]:
                    q.commitment *= 1.0 - p.imposed_cost
            self.legitimacy -= p.lead_legitimacy * self.legitimacy
        self.log(week, "adopted", f"adopted at {z:.2f} ({share:.0%} support, {dur} wk)")

    def members_backing(self, position: float) -> float:
        """Effort-weighted share of members whose frames accept a project at ``position``."""
        total = sum(q.effort for q in self.people)
        if total <= 0.0:
            return 0.0
        return sum(q.effort for q in self.people if q.accepts(position)) / total

    def success_chance(self, oc_mean: float, fit: float) -> float:
        """Chance the ending project succeeds: leverage, delivery, fit, size, members' backing."""
        p, pr = self.p, self.project
        assert pr is not None
        delivery = math.sqrt(max(oc_mean, 0.0) * max(self.uptake(), 0.0))
        members = p.backing_floor + (1.0 - p.backing_floor) * self.members_backing(pr.position)
        chance = p.success_base * pr.leverage * (0.4 + 0.6 * delivery) * (0.5 + fit)
        return min(1.0, chance * math.exp(-pr.size) * members)

    def projects(self, week: int) -> None:
        """Submodel 7: the active project runs; at its end a win, or learning or blame."""
        pr = self.project
        if pr is None:
            return
        p, r = self.p, self.random
        pr.weeks_run += 1
        pr.oc_sum += self.capacity_oc
        if pr.weeks_run < pr.duration:
            return
        fit = self._fits(pr.size)
        won = r.random() < self.success_chance(pr.oc_sum / pr.weeks_run, float(fit[self.mode]))
        if p.first_outcome != "free" and self.wins + self.setbacks == 0:
            won = p.first_outcome == "win"  # experiment control: the first outcome forced
        if won:
            self._win(week)
        else:
            self._setback(week, fit)
        self.project = None

    def _joint_work(self) -> None:
        """Organizations whose people worked closely on the project gain social capital."""
        p = self.p
        close: set[tuple[Organization, Organization]] = set()
        for a, b in self.ties():
            if a.org is b.org or a.effort <= p.effort_min or b.effort <= p.effort_min:
                continue
            if a.trust[b] > 0.5 and b.trust[a] > 0.5:
                close.add((a.org, b.org) if a.org.index < b.org.index else (b.org, a.org))
        for oa, ob in close:
            oa.gain_capital(ob, p.capital_gain)

    def _win(self, week: int) -> None:
        pr, p = self.project, self.p
        assert pr is not None
        self.wins += 1
        self.last_win_week = week
        if self.first_win_week < 0:
            self.first_win_week = week
        for q in self.people:
            q.commitment += p.win_commitment * (1.0 - q.commitment)
        self.legitimacy += p.win_legitimacy * (1.0 - self.legitimacy)
        self.public_value += p.win_value * pr.leverage * pr.size * self.uptake()
        self.programs += pr.leverage * pr.size
        for q in self.people:
            q.safety += p.win_safety * (1.0 - q.safety)
            if p.navigator:
                q.nav_trust = _asym(q.nav_trust, p.win_signal, p.trust_gain, p.trust_loss)
        self._joint_work()
        for q in self.people:
            for partner, t in q.trust.items():
                q.trust[partner] = _asym(t, p.win_signal, p.trust_gain, p.trust_loss)
        self.log(week, "win", f"small win at {pr.position:.2f}")

    def _mediate(self, week: int) -> None:
        """The navigator mediates: it works as often as members trust it."""
        p, r = self.p, self.random
        if not p.navigator:
            return
        people = self.people
        if r.random() < sum(q.nav_trust for q in people) / len(people):
            for q in people:
                q.safety += p.mediation_safety * (1.0 - q.safety)
                q.nav_trust = _asym(q.nav_trust, p.win_signal, p.trust_gain, p.trust_loss)
            self.log(week, "mediation", "the navigator's mediation restores some safety")
        else:
            for q in people:
                q.nav_trust = _asym(q.nav_trust, p.blame_signal, p.trust_gain, p.trust_loss)

    def _setback(self, week: int, fit: Any) -> None:
        p, r = self.p, self.random
        self.setbacks += 1
        if self.first_setback_week < 0:
            self.first_setback_week = week
        self.legitimacy -= p.setback_legitimacy * self.legitimacy
        self._mediate(week)
        people = self.people
        if r.random() < self._learning_chance():
            self.learning += 1
            for q in people:
                q.commitment += p.learn_commitment * (1.0 - q.commitment)
            sd = _py(sm.evidence_noise)(p, max(self.evidence_precision, p.learn_evidence_floor))
            ev = self.theta + sd * r.gauss(0.0, 1.0)
            for q in people:
                q.pull(ev, p.learn_pull)
            self.plan = (
                ev if not math.isfinite(self.plan) else self.plan + p.learn_pull * (ev - self.plan)
            )
            gain = p.learn_precision + (p.evaluate_precision if p.community_stages >= 4 else 0)
            self.evidence_precision += gain * (1.0 - self.evidence_precision)
            for q in people:
                q.safety += p.learn_safety * (1.0 - q.safety)
            self._joint_work()
            self.log(week, "learning", "setback met by learning")
            self._adapt(week, fit)
            return
        self.blame += 1
        # each organization's mean incoming trust (every tie into its people counts)
        total = [0.0] * self.n_orgs
        count = [0] * self.n_orgs
        for q in people:
            for partner, t in q.trust.items():
                total[partner.org.index] += t
                count[partner.org.index] += 1
        mean_in = [t / c if c else math.inf for t, c in zip(total, count, strict=True)]
        target = min(range(self.n_orgs), key=lambda i: mean_in[i])
        for q in people:
            if q.org.index == target:
                continue
            for partner in q.trust:
                if partner.org.index == target:
                    q.trust[partner] *= 1.0 - p.blame_trust
        for q in people:
            for partner, t in q.trust.items():
                q.trust[partner] = _asym(t, p.blame_signal, p.trust_gain, p.trust_loss)
        for q in people:
            q.safety -= p.blame_safety * q.safety
            if p.navigator:
                q.nav_trust = _asym(q.nav_trust, p.blame_signal, p.trust_gain, p.trust_loss)
            q.commitment -= p.blame_commitment * q.commitment
            q.loyalty += p.blame_loyalty * (1.0 - q.loyalty)
        self.legitimacy -= p.blame_legitimacy * self.legitimacy
        self.log(week, "blame", f"setback met by blame: trust in organization {target} falls")

    def triangle(self, week: int) -> None:
        """Submodel 8: operational capacity, legitimacy, public value (which can wither)."""
        p = self.p
        oc = sum(
            o.mean_effort() * o.weight for o in self.orgs if self.adopted > 0 or not o.provider
        )
        oc *= 0.4 + 0.6 * p.resources
        if self.mode == gov.NAO:
            oc += p.nao_capacity * (1.0 - oc)
        if week < self.transition_until:  # a change of governance mode under way
            oc *= 1.0 - p.transition_capacity
        self.capacity_oc = _clip(oc)
        since = week - max(self.last_win_week, 0)
        decay = p.legitimacy_decay if since > p.visible_weeks else 0.0
        L = self.legitimacy
        L += p.diversity_legitimacy * self.div_index * (1.0 - L) - decay * L
        self.legitimacy = _clip(L)
        if self.programs > 0.0:  # programs that work keep delivering, if the table backs them
            flow = p.public_value_rate * min(self.capacity_oc, self.legitimacy)
            flow *= self.plan_support * self.programs
            if self.mode == gov.NAO:
                flow *= 1.0 - p.nao_overhead
            health = min(self.capacity_oc, self.legitimacy, self.plan_support)
            wither = p.value_wither * (1.0 - health)
            self.programs -= wither * self.programs
            self.public_value += flow - wither * self.public_value
        if self.impact_week < 0 and self.public_value >= p.impact_target:
            self.impact_week = week

    def perish(self, week: int) -> None:
        """Submodel 9: dissolve after too many weeks below the floor."""
        p = self.p
        mean_c = sum(q.commitment for q in self.people) / len(self.people)
        low = self.legitimacy < p.perish_floor or mean_c < p.perish_floor
        self.weeks_below_floor = self.weeks_below_floor + 1 if low else 0
        if self.weeks_below_floor >= p.perish_weeks and not self.perished:
            self.perished = True
            self.perished_week = week
            self.log(week, "perished", "the collaboration dissolved")

    # ------------------------------------------------------------------ measures
    def _measure(self) -> None:
        p = self.p
        people = self.people
        n = len(people)
        base = p.tie_base_weight
        total = count = strong = 0
        cross_total = cross_count = cross_strong = 0
        num = den = 0.0  # working trust: each tie's mean trust, weighted as meetings pick ties
        for q in people:
            org, seat = q.org, q.seat
            for partner, t in q.trust.items():
                total += t
                count += 1
                strong += t > 0.5
                if partner.org is not org:
                    cross_total += t
                    cross_count += 1
                    cross_strong += t > 0.5
                if seat < partner.seat:  # each tie once
                    pair = t + partner.trust[q]
                    w = base + pair
                    num += w * 0.5 * pair
                    den += w
        self.mean_trust = total / count if count else 0.0
        self.trust_density = strong / max(1, n * (n - 1))
        self.working_trust = num / den if den else 0.0
        # cross-boundary trust: every cross-organization ordered pair, never-met ones at
        # stranger trust (so prior relationships raise it)
        pairs = self.cross_pairs
        if pairs > 0:
            never = pairs - cross_count
            self.cross_trust = (cross_total + never * p.stranger_trust) / pairs
            self.cross_density = (cross_strong + (never if p.stranger_trust > 0.5 else 0)) / pairs
        else:
            self.cross_trust = self.cross_density = 0.0
        frames = sorted(q.frame for q in people)
        best = run = 1
        for a, b in itertools.pairwise(frames):
            run = run + 1 if b - a <= p.cluster_gap else 1
            best = max(best, run)
        c = best / len(frames)
        if c >= CONSENSUS_HIGH:
            if not self.consensus_reached and self.consensus_lost:
                self.consensus_remade += 1
            self.consensus_reached = True
            self.consensus_lost = False
        elif c < CONSENSUS_LOW and self.consensus_reached:
            self.consensus_reached = False
            self.consensus_lost = True
        self.consensus = c
        # shared understanding: share of pairs of people who frame the problem alike
        if n >= 2:
            gap = p.understanding_gap
            close = sum(
                bisect.bisect_left(frames, x + gap, lo=i + 1) - i - 1 for i, x in enumerate(frames)
            )
            self.understanding = close / (n * (n - 1) / 2)
        else:
            self.understanding = 1.0
        if math.isfinite(self.plan):
            self.plan_support = sum(q.accepts(self.plan) for q in people) / n
        else:
            self.plan_support = 0.0
        self.team_safety = sum(q.safety for q in people) / n
        self.navigator_trust = sum(q.nav_trust for q in people) / n
        org_pairs = self.n_orgs * (self.n_orgs - 1) / 2
        capital = sum(
            k for o in self.orgs for other, k in o.capital.items() if o.index < other.index
        )
        self.social_capital = capital / org_pairs if org_pairs else 0.0
        self.history.append(self.public_value)

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One week: the ten submodels in the ODD order, then the measures."""
        if not self.running:
            return
        week = self.steps
        self.turnover(week)
        for q in self.people:
            q.split_effort()
        self.dialogue(week)
        self.climate(week)
        self.stat_meeting(week)
        self.community(week)
        self.entry_point(week)
        self.projects(week)
        self.triangle(week)
        self.perish(week)
        self._measure()
        if self.perished or week >= self.p.weeks:
            self.running = False

    def run(self) -> ReferenceModel:
        """Step until the horizon or until the collaboration perishes."""
        while self.running:
            self.step()
        return self

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return len(self.history) - 1

    def _reached_by(self, h: int) -> float:
        if 0 <= self.impact_week <= h:
            return 1.0
        return float("nan") if self.p.weeks < h else 0.0

    def summary(self) -> dict[str, Any]:
        """Every per-run outcome, with the names of ``CollaborationModel.summary``."""
        nan = float("nan")
        people = self.people
        n = len(people)
        alive_at_window = (not self.perished) or self.perished_week > ENTRY_WINDOW
        no_adoption = self.first_adoption_week < 0 or self.first_adoption_week > ENTRY_WINDOW
        return {
            "collective_impact": self.public_value,
            "success": (not self.perished) and self.public_value >= self.p.impact_target,
            "any_win": self.wins > 0,
            "weeks_to_first_win": float(self.first_win_week) if self.first_win_week >= 0 else nan,
            "weeks_to_impact": float(self.impact_week) if self.impact_week >= 0 else nan,
            "momentum": 0 <= self.first_win_week <= ENTRY_WINDOW,
            "perished": self.perished,
            "perished_week": float(self.perished_week) if self.perished else nan,
            "talk_only": alive_at_window and no_adoption and self.week >= ENTRY_WINDOW,
            "consensus": self.consensus,
            "mean_trust": self.mean_trust,
            "cross_trust": self.cross_trust,
            "safety": self.team_safety,
            "shared_understanding": self.understanding,
            "social_capital": self.social_capital,
            "working_trust": self.working_trust,
            "trust_density": self.trust_density,
            "learning_share": self.learning / self.setbacks if self.setbacks else nan,
            "founders_share": sum(q.founder for q in people) / n,
            "legitimacy": self.legitimacy,
            "operational_capacity": self.capacity_oc,
            "uptake": self.uptake(),
            "governance_changes": self.governance_changes,
            "final_mode": self.mode,
            "wins": self.wins,
            "setbacks": self.setbacks,
            "learning": self.learning,
            "blame": self.blame,
            "proposals": self.proposals,
            "adopted": self.adopted,
            "consensus_remade": self.consensus_remade,
            "leadership_shocks": self.leadership_shocks,
            "leavers": self.leavers_total,
            "first_setback_week": (
                float(self.first_setback_week) if self.first_setback_week >= 0 else nan
            ),
            "first_outcome_win": (
                nan
                if self.first_win_week < 0 and self.first_setback_week < 0
                else float(
                    self.first_win_week >= 0
                    and (
                        self.first_setback_week < 0 or self.first_win_week < self.first_setback_week
                    )
                )
            ),
            **{f"impact_by_{h}": self._reached_by(h) for h in (104, 156, 260)},
            "weeks_run": self.week,
            "horizon": self.p.weeks,
            "seed": self.seed,
        }
