"""The event log in plain language: what a mayor would say happened this week.

The model logs events as ``(week, kind, text)``; its texts are written for modellers
("setback met by blame: trust in organization 8 falls"). This module writes the room's version
from the event's *kind* and from the state before and after the step, which the app can read:
who left (sector, founder or newcomer), whom the table blamed (the organization whose incoming
trust fell most), how governance changed, how big the adopted project is. The model's text is
used only for the two details the state does not keep (a failed proposal's support and whether
the decision rule or the governance fit stopped it), and every sentence still reads well when
that text says something else.

:class:`Narrator` watches one model: call :meth:`Narrator.before` before a step and
:meth:`Narrator.after` after it. :func:`group_turnover` merges runs of turnover entries, so the
log shows "weeks 75-81: 3 people replaced" instead of three lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from collabsim.params import GOVERNANCE_MODES, SECTORS

__all__ = [
    "MODE_WORDS",
    "SECTOR_WORDS",
    "Entry",
    "Narrator",
    "group_turnover",
    "org_names",
]

#: A representative of each sector, in words (index = sector code).
SECTOR_WORDS: tuple[str, ...] = (
    "city agency",
    "nonprofit",
    "business",
    "funder",
    "community group",
)
#: Each governance mode in words (Provan & Kenis 2008), in :data:`GOVERNANCE_MODES` order.
MODE_WORDS: dict[str, str] = {
    "shared": "shared governance (everyone decides together)",
    "lead": "a lead organization (one partner decides)",
    "nao": "a separate coordinating office (an administrative organization)",
}
_SHORT_MODE = {"shared": "shared governance", "lead": "a lead organization", "nao": "an office"}
_SUPPORT = re.compile(r"(\d+)% support")

assert len(SECTOR_WORDS) == len(SECTORS)
assert set(MODE_WORDS) == set(GOVERNANCE_MODES)


@dataclass(frozen=True)
class Entry:
    """One line of the plain-language log.

    Attributes:
        week: Week of the event (the first week, for a group).
        kind: The model's event kind (``win``, ``blame``, ``turnover``...).
        text: The sentence shown.
        last_week: Last week of a group of turnover entries (equal to ``week`` otherwise).
        count: People the entry concerns (turnover) or 1.
        sectors: Sector code of each person who left (turnover).
    """

    week: int
    kind: str
    text: str
    last_week: int = -1
    count: int = 1
    sectors: tuple[int, ...] = ()

    @property
    def weeks(self) -> str:
        """The week, or the range of weeks of a group."""
        if self.last_week > self.week:
            return f"{self.week}-{self.last_week}"
        return str(self.week)


def org_names(sector: Sequence[int]) -> list[str]:
    """A name for each organization: its sector, numbered when the sector has several."""
    counts = Counter(int(s) for s in sector)
    seen: Counter[int] = Counter()
    out = []
    for s in sector:
        s = int(s)
        seen[s] += 1
        word = SECTOR_WORDS[s]
        out.append(f"the {word}" if counts[s] == 1 else f"{word} {seen[s]}")
    return out


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _list(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _who(sectors: Sequence[int], founders: Sequence[bool]) -> str:
    """'a founding nonprofit representative and 2 business representatives'."""
    groups: Counter[tuple[int, bool]] = Counter(
        (int(s), bool(f)) for s, f in zip(sectors, founders, strict=True)
    )
    parts = []
    for (s, founder), n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])):
        adj = "founding " if founder else ""
        if n == 1:
            article = "an" if (adj or SECTOR_WORDS[s])[0] in "aeiou" else "a"
            parts.append(f"{article} {adj}{SECTOR_WORDS[s]} representative")
        else:
            parts.append(f"{n} {adj}{SECTOR_WORDS[s]} representatives")
    return _list(parts)


class Narrator:
    """Turns one model's new events into plain sentences, step by step.

    Args:
        model: The run to narrate (a :class:`~collabsim.model.CollaborationModel`).
    """

    def __init__(self, model) -> None:
        self.model = model
        s = model.state
        self.names = org_names(s.sector)
        self.entries: list[Entry] = []
        self._seen = 0
        self._before: dict = {}
        self.catch_up()

    def catch_up(self) -> None:
        """Narrate events already in the log (from before the narrator watched)."""
        self._seen = self.model.state.event_count

    def before(self) -> None:
        """Remember what the narration of the next step needs (call before ``step``)."""
        s = self.model.state
        u, v, t_uv, t_vu = s.edges.views()
        self._before = {
            "tenure": s.tenure.copy(),
            "founder": s.founder.copy(),
            "mode": int(s.mode),
            "n_edges": len(u),
            "incoming": self._incoming(s, len(u)),
        }

    @staticmethod
    def _incoming(s, n: int) -> np.ndarray:
        """Mean trust others place in each organization, over the first ``n`` ties."""
        u, v, t_uv, t_vu = s.edges.views()
        u, v, t_uv, t_vu = u[:n], v[:n], t_uv[:n], t_vu[:n]
        ou, ov = s.org[u], s.org[v]
        other = ou != ov
        k = len(s.sector)
        tot = np.bincount(ov[other], t_uv[other], k) + np.bincount(ou[other], t_vu[other], k)
        cnt = np.bincount(ov[other], minlength=k) + np.bincount(ou[other], minlength=k)
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)

    def after(self) -> list[Entry]:
        """Narrate the events the last step logged; return the new entries."""
        s = self.model.state
        new = s.events_since(self._seen)
        self._seen = s.event_count
        out = [self._say(week, kind, text) for week, kind, text in new]
        self.entries.extend(out)
        return out

    # --- one sentence per kind -------------------------------------------------------------
    def _say(self, week: int, kind: str, text: str) -> Entry:
        s = self.model.state
        b = self._before
        if kind == "turnover" and b:
            return self._turnover(week)
        if kind == "shock":
            return Entry(
                week,
                kind,
                "Leadership change at City Hall: every city-agency representative is replaced.",
                week,
            )
        if kind == "proposal":
            return Entry(week, kind, self._proposal(text), week)
        if kind == "adopted":
            pr = s.project
            if pr is not None and getattr(pr, "entry_point", False):
                what = "a small first project (an entry point)"
            else:
                what = "a plan for the whole problem"
            dur = f", to run about {pr.duration} weeks" if pr is not None else ""
            return Entry(week, kind, f"The table agreed on {what}{dur}.", week)
        if kind == "win":
            impact = float(s.public_value)
            return Entry(
                week,
                kind,
                f"Small win: the project delivered. Collective impact is now {impact:.2f}.",
                week,
            )
        if kind == "learning":
            return Entry(
                week,
                kind,
                "Setback, met by learning: the table looked at the evidence together and "
                "adjusted its views.",
                week,
            )
        if kind == "blame":
            return Entry(week, kind, self._blame(), week)
        if kind == "mediation":
            return Entry(
                week,
                kind,
                "The navigator stepped in after the setback; people who trust the navigator "
                "feel safer to talk about what went wrong.",
                week,
            )
        if kind == "governance":
            old = GOVERNANCE_MODES[b["mode"]] if b else None
            new = GOVERNANCE_MODES[int(s.mode)]
            if old is not None and old != new:
                said = f"The table changed how it decides: from {_SHORT_MODE[old]} to "
                return Entry(week, kind, said + f"{MODE_WORDS[new]}.", week)
            return Entry(week, kind, f"The table now works with {MODE_WORDS[new]}.", week)
        if kind == "perished":
            return Entry(
                week,
                kind,
                "The collaboration dissolved: too little commitment and support were left.",
                week,
            )
        return Entry(week, kind, f"Something else happened ({kind}).", week)

    def _turnover(self, week: int) -> Entry:
        s = self.model.state
        b = self._before
        tenure = b["tenure"]
        n = min(len(tenure), len(s.tenure))
        left = np.flatnonzero(s.tenure[:n] <= tenure[:n])  # a newcomer's tenure restarted
        if len(left) == 0:
            return Entry(week, "turnover", "A representative was replaced.", week)
        who = _who(s.seat_sector[left], b["founder"][left])
        return Entry(
            week,
            "turnover",
            f"{_people(len(left))} left and {'was' if len(left) == 1 else 'were'} replaced "
            f"by {'a newcomer' if len(left) == 1 else 'newcomers'}: {who}.",
            week,
            count=len(left),
            sectors=tuple(int(x) for x in s.seat_sector[left]),
        )

    def _proposal(self, text: str) -> str:
        s = self.model.state
        mode = GOVERNANCE_MODES[int(s.mode)]
        m = _SUPPORT.search(text)
        backed = f" (backed by {m.group(1)}% of the table)" if m else ""
        step = "A first step" if self.model.params.get("entry_points", True) else "A whole plan"
        head = f"{step} was proposed but not adopted{backed}: "
        lowered = text.lower()
        if "fit" in lowered:
            why = (
                f"the table could not decide; {_SHORT_MODE[mode]} works poorly for "
                f"{len(s.sector)} organizations at this level of trust and agreement."
            )
        elif "support" in lowered:
            rule = {
                "shared": "shared governance needs almost everyone on board",
                "lead": "the lead organization and its partners did not back it",
                "nao": "the coordinating office needs a clear majority",
            }[mode]
            why = f"too few people backed it; {rule}."
        else:
            why = "the table did not take it up."
        return head + why

    def _blame(self) -> str:
        s = self.model.state
        b = self._before
        if b:
            after = self._incoming(s, b["n_edges"])
            with np.errstate(invalid="ignore", divide="ignore"):
                drop = 1.0 - after / b["incoming"]
            if np.isfinite(drop).any():
                target = int(np.nanargmax(drop))
                name = self.names[target]
                return (
                    f"Setback, met by blame: the others blamed {name}, and trust in "
                    f"{'it' if name.startswith('the ') else 'them'} fell."
                )
        return "Setback, met by blame: partners blamed each other, and trust fell."


def group_turnover(entries: Sequence[Entry]) -> list[Entry]:
    """Merge consecutive turnover entries into one line (weeks a-b: n people replaced)."""
    out: list[Entry] = []
    run: list[Entry] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            n = sum(e.count for e in run)
            sectors = tuple(x for e in run for x in e.sectors)
            by = Counter(sectors)
            said = _list([f"{k} {SECTOR_WORDS[x]}" for x, k in by.most_common()])
            said += " representatives" if said else ""
            out.append(
                Entry(
                    run[0].week,
                    "turnover",
                    f"{_people(n)} left over these weeks and were replaced by newcomers"
                    + (f" ({said})." if said else "."),
                    run[-1].week,
                    count=n,
                    sectors=sectors,
                )
            )
        run.clear()

    for e in entries:
        if e.kind == "turnover":
            run.append(e)
        else:
            flush()
            out.append(e)
    flush()
    return out
