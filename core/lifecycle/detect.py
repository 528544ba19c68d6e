"""Event detection: what a person's facts and changes mean for their current employment.

Input: the person now (`after`) and before this batch of changes, the changed fields, the
person's current employment as last acted on, and the *open* events of that employment. Dates
(hire, termination, rehire, transfer notice) are reconciled from the effective-dated facts HR
states (`core.lifecycle.facts`) against the employment, so a missed sync window still yields each
event once and the same facts twice change nothing; what only a change shows (a job change that
took effect, leave, conversion) comes from the change log (`core.lifecycle.changes`).
Output: intents (open, move, cancel, supersede, record) and the employment rows to save.
Pure: no I/O, so every rule is tested directly.
"""

from __future__ import annotations

from datetime import date

from core.lifecycle.changes import MOVE_FIELDS, change_intents, is_conversion
from core.lifecycle.employments import Employment
from core.lifecycle.facts import Facts, facts_of
from core.lifecycle.first_seen import first_seen
from core.lifecycle.intents import Action, Detection, Intent, OpenEvent, PersonChange, Policy
from core.lifecycle.notices import employed, ended_notice, notice_date, notice_intent

__all__ = ["Detection", "Intent", "OpenEvent", "PersonChange", "Policy", "detect"]


def detect(change: PersonChange, today: date, policy: Policy) -> Detection:
    facts = facts_of(change.after)
    if change.employment is None and change.is_new:
        return first_seen(change, facts, today, policy)
    return _Reconcile(change, facts, today, policy).run()


class _Reconcile:
    """The facts against the current employment: rehire, moved dates, termination, transfer notice."""

    def __init__(self, change: PersonChange, facts: Facts, today: date, policy: Policy) -> None:
        self.change, self.facts, self.today, self.policy = change, facts, today, policy
        self.employment = change.employment or self._bootstrap()
        self.found = Detection()
        self.rehired = False
        self.transfer_took_effect = False
        #: the employment a rehire seen now ended (as saved)
        self.ended: Employment | None = None

    def _bootstrap(self) -> Employment:
        """A person evaluated before employments were kept: the dates as the last evaluation saw them."""
        before = facts_of(self.change.before)
        return Employment(max(self.change.last_generation, 1), before.hire, before.termination)

    def add(self, intent: Intent) -> None:
        self.found.intents.append(intent)

    def run(self) -> Detection:
        if self.change.deleted or (self.facts.rescinded and not self._later_employment_stands()):
            self._rescinded()
        else:
            self._hire()
            self._termination()
            self._transfer_notice()
            self.found.intents += change_intents(
                self.change,
                self.today,
                self.employment.generation,
                movers=(not self.rehired or self._job_changed_since_the_rehire())
                and not self.transfer_took_effect,
                job_changed=self._job_changed(),
            )
            if self.ended is not None and self._transferred_before_the_end(self.ended):
                moved = change_intents(self.change, self.today, self.ended.generation, movers=True)
                self.found.intents += [i for i in moved if i.event_type == "mover"]
        self.found.employments.append(self.employment)
        return self.found

    def _later_employment_stands(self) -> bool:
        """A rescinded hire came after an employment later than this one, which HR now shows with
        its end (rehired twice, the second rescinded, all unseen): the rescinded hire never
        happened, so the facts read as that employment's, with no rescind."""
        hire, started = self.facts.hire, self.employment.hire
        ended = self.facts.termination is not None
        return hire is not None and started is not None and hire > started and ended

    def _stands(self) -> bool:
        """Whether the employment HR shows once the latest hire is rescinded is this one: the same
        start, or an end that closed no employment known at the last evaluation (this one's own
        hire rescinded shows the previous employment, whose end was known)."""
        hire, end = self.facts.hire, self.facts.termination
        if hire is None or hire == self.employment.hire:
            return hire is not None
        known = facts_of(self.change.before).earlier if self.change.before else ()
        if end is None or (not known and self.employment.generation > 1):
            return False  # a previous employment the facts did not state: this one's hire is rescinded
        return end not in {e for _, e in known}

    def _rescinded(self) -> None:
        ended = self.employment.termination or self.facts.termination
        if not self.change.deleted and ended is not None and self._stands():
            # a later hire (a rehire) was rescinded before any sync saw it: this employment stands
            # (its start as HR states it: it may have moved before it ended)
            self._hire()
            self._termination()
            self._transfer_notice()
            return
        reason = "hire rescinded" if self.facts.rescinded else "person removed"
        g = self.employment.generation
        # a rescinded hire never began: its offboarding goes too (a removed record keeps it)
        cancelled = (
            ("joiner", "rehire", "mover", "leaver") if self.facts.rescinded else ("joiner", "rehire", "mover")
        )
        for event in [e for e in self.change.open_events if e.employment == g]:
            if event.event_type in cancelled:
                self.add(
                    Intent("cancel", event.event_type, event.effective_date, event.id, reason, employment=g)
                )
        if self.facts.rescinded and g > 1 and self.facts.hire != self.employment.hire:
            # a rescinded rehire: the employment never began, the previous one is current again
            self.employment = self.employment.but(state="rescinded")

    def _hire(self) -> None:
        e, hire = self.employment, self.facts.hire
        if hire is None or hire == e.hire:
            return
        prior = self.facts.prior_termination
        # the end HR states for this employment wins over the one acted on (it may have moved); a
        # termination HR now marks reversed ended nothing, so a new start date is a moved start
        reversed_ = bool(self.change.after.get("termination_reversed")) or self._end_no_longer_stated()
        ended = prior if self._ends_this_employment(prior) else None if reversed_ else e.termination
        conversion = is_conversion(self.change)
        unseen = self._unseen_employments()
        if len(unseen) > 1 and not conversion:
            # employments that began and ended since the last evaluation: this one ended first
            (started, ended), *between = unseen
            self._rehire(hire, ended, started, between)
            return
        if ended is not None and hire > ended and not conversion:
            self._rehire(hire, ended, self.facts.prior_hire, [])
            return
        restarted = self.facts.employment_start
        if conversion and ended is not None and restarted is not None and restarted > ended:
            # the contract this conversion continues began after the end HR states for this
            # employment: a rehire between two syncs, which the new ID's hire date hides
            self._rehire(restarted, ended, self.facts.prior_hire, [])
            self.employment = self.employment.but(hire=hire)
            return
        event = self.change.open_of(e.generation, "joiner", "rehire")
        if event is not None and not conversion:  # a conversion's hire is not a moved start (nor a rehire)
            self.add(
                Intent(
                    "move",
                    event.event_type,
                    hire,
                    event.id,
                    f"start date moved to {hire}",
                    employment=e.generation,
                )
            )
        self.employment = e.but(hire=hire)

    def _end_no_longer_stated(self) -> bool:
        """The termination acted on is one HR states nowhere any more. A source that reads the
        transaction log (it states `termination_reversed`, true or false) names every live end:
        the current termination, the one before the latest hire, every earlier employment's. An
        end it no longer names was reversed (or corrected) even when a termination entered since
        hides the reversal flag, so a later start is a moved start, not a rehire."""
        ended, after = self.employment.termination, self.change.after
        if ended is None or "termination_reversed" not in after:
            return False
        facts = self.facts
        stated = {facts.termination, facts.prior_termination, *(end for _, end in facts.earlier)}
        return ended not in stated

    def _ends_this_employment(self, prior: date | None) -> bool:
        """Whether the previous employment's end HR states is this employment's: one dated after
        its start, or one HR states only since the last evaluation for an employment whose start
        moved earlier before it ended (an end HR already stated then closed an earlier employment)."""
        e = self.employment
        if prior is None or e.hire is None or prior >= e.hire:
            return prior is not None
        started = self.facts.prior_hire
        known_before = facts_of(self.change.before).prior_termination if self.change.before else None
        return prior != known_before and started is not None and started <= prior

    def _unseen_employments(self) -> list[tuple[date | None, date]]:
        """The earlier employments HR states that ended after every end known at the last
        evaluation: this employment's own, then any that began and ended since."""
        known = facts_of(self.change.before).earlier if self.change.before else ()
        last = max((end for _, end in known), default=None)
        return [(h, end) for h, end in self.facts.earlier if last is None or end > last]

    def _rehire(
        self, hire: date, ended: date, started: date | None, between: list[tuple[date | None, date]]
    ) -> None:
        """This employment ended on `ended` (its start, as HR states it, `started`), any employments
        `between` began and ended unseen, and the one starting on `hire` is current."""
        e = self.employment
        onboarding = self.change.open_of(e.generation, "joiner", "rehire")
        if started is not None and started != e.hire and started < hire and onboarding is not None:
            # the start of the ended employment moved before the rehire was entered
            moved = f"start date moved to {started}"
            self.add(
                Intent("move", onboarding.event_type, started, onboarding.id, moved, employment=e.generation)
            )
            e = e.but(hire=started)
        leaver = self.change.open_of(e.generation, "leaver")
        if e.termination is not None and ended != e.termination and leaver is not None:
            moved = f"termination date moved to {ended}"
            self.add(Intent("move", "leaver", ended, leaver.id, moved, employment=e.generation))
        if e.termination is None:  # the termination was never seen: it still ends this employment, once
            self.add(
                Intent(
                    "open",
                    "leaver",
                    ended,
                    reason=f"termination effective {ended}, seen with the rehire",
                    employment=e.generation,
                )
            )
        self.ended = self._ended_transfer(e.but(termination=ended, state="ended"))
        self.found.employments.append(self.ended)
        generation = max(self.change.last_generation, e.generation) + 1
        for begun, stopped in between:
            self._unseen_employment(generation, begun, stopped)
            generation += 1
        self.employment = Employment(generation, hire)
        self.rehired = True
        end = self.facts.termination
        if end is not None and hire <= end <= self.today:
            return  # the new employment began and ended unseen: its offboarding, no onboarding
        self.add(
            Intent(
                "open", "rehire", hire, reason=f"terminated person rehired on {hire}", employment=generation
            )
        )

    def _ended_transfer(self, e: Employment) -> Employment:
        """The transfer of an employment a rehire ended: entered in advance and due before the end,
        its notice (given now if it was not yet); due after the end, superseded by it."""
        ended = e.termination
        notice = None if ended is None else ended_notice(self.facts, self.today, self.policy, e.hire, ended)
        g = e.generation
        given = self.change.open_of(g, "mover", on=e.transfer) if e.transfer is not None else None
        if notice is not None and e.transfer is None:
            self.add(notice_intent(notice, g))
        elif notice is not None and notice != e.transfer and given is not None:
            moved = f"transfer date moved to {notice}"
            self.add(Intent("move", "mover", notice, given.id, moved, employment=g, notice=True))
        elif notice is None and e.transfer is not None and e.transfer > self.today and given is not None:
            superseded = ended is not None and ended < e.transfer
            reason = f"termination effective {ended}" if superseded else "transfer rescinded"
            action: Action = "supersede" if superseded else "cancel"
            self.add(Intent(action, "mover", e.transfer, given.id, reason, employment=g))
        elif notice is None and e.transfer is not None:
            # the job change now seen is the transfer given notice of (unless a later one took effect)
            self.transfer_took_effect = self._only_job_change(e.transfer)
        return e.but(transfer=notice)

    def _took_effect(self, transfer: date | None) -> bool:
        """Whether a transfer given notice of has taken effect: its date has come and the latest
        job change HR states in effect is not older (a source that dates none: its date alone)."""
        day = self.facts.job_change
        return transfer is not None and transfer <= self.today and (day is None or day >= transfer)

    def _called_off(self, transfer: date) -> bool:
        """A transfer given notice of whose date has come was cancelled before it took effect
        (rescinded, or by a termination since reversed): HR no longer states it pending, and
        dates its latest job change before it, or (a source that dates none) nothing of the job
        changed since the last evaluation. HR still stating it pending means it takes effect today
        (the source's day may lag the person's)."""
        if self.facts.pending_transfer is not None:
            return False
        day = self.facts.job_change
        if day is not None:
            return day < transfer
        return not (self.change.changed & set(MOVE_FIELDS))

    def _only_job_change(self, transfer: date | None) -> bool:
        """Whether the transfer given notice of is the latest job change in effect (a source that
        dates none: taken to be)."""
        day = self.facts.job_change
        return day is None or day == transfer

    def _job_changed_since_the_rehire(self) -> bool:
        """A job change HR dates after the rehire's start took effect: a transfer in the new
        employment (the rehire's own job is its onboarding's, so other job differences are not)."""
        day, hire = self.facts.job_change, self.employment.hire
        return day is not None and hire is not None and hire < day <= self.today

    def _job_changed(self) -> bool:
        """HR states a job change that took effect since the last evaluation."""
        day = self.facts.job_change
        known = facts_of(self.change.before).job_change if self.change.before else None
        return day is not None and day <= self.today and day != known

    def _transferred_before_the_end(self, e: Employment) -> bool:
        """A job change took effect since the last evaluation in the employment a rehire ended,
        before its end, which has not come yet: a transfer, not the rehire's own job."""
        day, ended = self.facts.job_change, e.termination
        if day is None or ended is None or ended <= self.today or day > ended:
            return False
        known = facts_of(self.change.before).job_change if self.change.before else None
        started = e.hire is None or day >= e.hire
        return started and day != known and day != e.transfer and not self.transfer_took_effect

    def _unseen_employment(self, generation: int, hire: date | None, end: date) -> None:
        """An employment that began and ended between two evaluations: its offboarding, its
        onboarding while it has not ended yet, and its transfer as any ended employment's."""
        self.ended = self._ended_transfer(Employment(generation, hire, end, state="ended"))
        self.found.employments.append(self.ended)
        if hire is not None and end > self.today:
            reason = f"terminated person rehired on {hire}"
            self.add(Intent("open", "rehire", hire, reason=reason, employment=generation))
        reason = f"termination effective {end}, seen with a later rehire"
        self.add(Intent("open", "leaver", end, reason=reason, employment=generation))

    def _termination(self) -> None:
        e, ended = self.employment, self.facts.termination
        g = e.generation
        if ended is not None and ended != e.termination:
            self._supersede_job_changes(ended)
        if ended is not None and e.termination is None:
            self.add(Intent("open", "leaver", ended, reason=f"termination effective {ended}", employment=g))
        elif ended is not None and ended != e.termination:
            event = self.change.open_of(g, "leaver")
            if event is not None:
                self.add(
                    Intent(
                        "move", "leaver", ended, event.id, f"termination date moved to {ended}", employment=g
                    )
                )
        elif ended is None and e.termination is not None and not self.rehired:
            event = self.change.open_of(g, "leaver")
            if event is not None:
                self.add(
                    Intent(
                        "cancel",
                        "leaver",
                        event.effective_date,
                        event.id,
                        "termination reversed",
                        employment=g,
                    )
                )
        self.employment = self.employment.but(termination=ended)

    def _supersede_job_changes(self, ended: date) -> None:
        """A termination dated before a job change that took effect (entered after it, backdated)
        supersedes its mover, as it does a transfer given notice of (notices: `_transfer_notice`)."""
        g, day = self.employment.generation, self.facts.job_change
        for event in self.change.open_events:
            if event.employment != g or event.event_type != "mover" or event.effective_date is None:
                continue
            if event.effective_date == self.employment.transfer or event.effective_date <= ended:
                continue
            if day is None or day > ended:
                reason = f"termination effective {ended}"
                self.add(Intent("supersede", "mover", event.effective_date, event.id, reason, employment=g))

    def _transfer_notice(self) -> None:
        e, g = self.employment, self.employment.generation
        notice = None if self.rehired else notice_date(self.facts, self.today, self.policy)
        if notice is not None and not (employed(self.change.after) or self.facts.rescinded):
            notice = None
        pending = self.change.open_of(g, "mover", on=e.transfer) if e.transfer is not None else None
        if notice is not None and notice != e.transfer and self._took_effect(e.transfer):
            # the transfer given notice of took effect (the job change now seen is it), and HR
            # has entered the next one in advance: a new notice, not the old one moved
            self.transfer_took_effect = self._only_job_change(e.transfer)
            self.add(notice_intent(notice, g))
        elif notice is not None and e.transfer is None:
            self.add(notice_intent(notice, g))
        elif notice is not None and notice != e.transfer and pending is not None:
            moved = f"transfer date moved to {notice}"
            self.add(Intent("move", "mover", notice, pending.id, moved, employment=g, notice=True))
        elif notice is None and e.transfer is not None:
            termination = self.facts.termination
            if e.transfer <= self.today and termination is not None and termination < e.transfer:
                if pending is not None:
                    # the termination moved before the transfer's date once it had come: the
                    # transfer never took effect in this employment, the termination supersedes it
                    reason = f"termination effective {termination}"
                    self.add(Intent("supersede", "mover", e.transfer, pending.id, reason, employment=g))
            elif e.transfer <= self.today and self._called_off(e.transfer):
                if pending is not None:
                    reason = "transfer rescinded"
                    self.add(Intent("cancel", "mover", e.transfer, pending.id, reason, employment=g))
            elif e.transfer <= self.today:
                # the job change now seen is the transfer given notice of, unless a later one
                # took effect too (that one is a mover)
                self.transfer_took_effect = self._only_job_change(e.transfer)
            elif pending is not None:
                superseded = termination is not None and termination < e.transfer
                self.add(
                    Intent(
                        "supersede" if superseded else "cancel",
                        "mover",
                        e.transfer,
                        pending.id,
                        f"termination effective {termination}" if superseded else "transfer rescinded",
                        employment=g,
                    )
                )
        self.employment = self.employment.but(transfer=notice)
