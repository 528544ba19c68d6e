"""A person seen for the first time (the initial load, or a hire entered since the last sync):
the employments HR states, those ended recently with their offboarding, the current one with its
onboarding unless it began before the existing-staff window. Pure: no I/O."""

from __future__ import annotations

from datetime import date, timedelta

from core.lifecycle.employments import Employment
from core.lifecycle.facts import Facts
from core.lifecycle.intents import Detection, Intent, PersonChange, Policy
from core.lifecycle.notices import employed, ended_notice, notice_date, notice_intent


def first_seen(change: PersonChange, facts: Facts, today: date, policy: Policy) -> Detection:
    employment = Employment(change.last_generation + 1, facts.hire)
    found = Detection()
    # HR shows no hire when the person's only hire was rescinded; a hire and its end when a later
    # hire (a rehire) was: that employment stands, with its termination still to act on
    if facts.rescinded and (facts.hire is None or facts.termination is None):
        found.employments.append(employment)
        return found
    horizon = today - timedelta(days=policy.existing_staff_days)
    hire_event = "joiner"
    for started, end in facts.earlier:
        if end < horizon:
            continue  # an end that long past is history, as a start that far back is
        # a rehire first seen while an earlier employment's end is recent: that end still needs
        # its offboarding, once (each of them: two rehires may precede the first sync), and the
        # current employment is the next one
        ended = Employment(employment.generation, started, end, state="ended")
        reason = f"termination effective {end}, seen with the rehire"
        found.intents.append(Intent("open", "leaver", end, reason=reason, employment=ended.generation))
        pending = ended_notice(facts, today, policy, started, end)
        if pending is not None:  # a transfer entered in advance inside it, still ahead
            ended = ended.but(transfer=pending)
            found.intents.append(notice_intent(pending, ended.generation))
        found.employments.append(ended)
        employment, hire_event = Employment(ended.generation + 1, facts.hire), "rehire"
    g = employment.generation
    status = change.after.get("status")
    if status in ("pre_hire", "active", "on_leave") and facts.hire is not None:
        if facts.hire >= horizon:
            found.intents.append(
                Intent(
                    "open", hire_event, facts.hire, reason=f"new {status} starting {facts.hire}", employment=g
                )
            )
        else:
            found.intents.append(
                Intent(
                    "record",
                    hire_event,
                    facts.hire,
                    suppressed=True,
                    reason=f"existing staff: started {facts.hire}, before the {policy.existing_staff_days}-day window",
                    employment=g,
                )
            )
    if facts.termination is not None:
        # an old termination is remembered without an event, so no later change reopens it
        employment = employment.but(termination=facts.termination)
        if facts.termination >= horizon:
            found.intents.append(
                Intent(
                    "open",
                    "leaver",
                    facts.termination,
                    reason=f"termination effective {facts.termination}",
                    employment=g,
                )
            )
    notice = notice_date(facts, today, policy)
    # a rescinded rehire leaves HR's status `terminated` while the employment before it still runs
    if notice is not None and (employed(change.after) or facts.rescinded):
        employment = employment.but(transfer=notice)
        found.intents.append(notice_intent(notice, g))
    found.employments.append(employment)
    return found
