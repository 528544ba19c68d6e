"""The chaos harness's oracles can fail: a doubled, a missing and an unexpected ticket are each
counted, and a store that concluded something else is told apart from the clean one."""

from __future__ import annotations

from collections import Counter

from tests.chaos.world import check_sink, differences, digest


def test_the_sink_check_counts_every_kind_of_defect() -> None:
    expected = {"E1:joiner:2026-03-09", "E2:leaver:2026-03-20", "E3:joiner:2026-04-01"}
    at_sink = Counter({"E1:joiner:2026-03-09": 2, "E2:leaver:2026-03-20": 1, "E9:joiner:2026-03-09": 1})
    check = check_sink(expected, at_sink)
    assert (check.duplicates, check.missing) == (2, 1)
    assert any("E3:joiner" in d and "no ticket" in d for d in check.details)
    assert check_sink(expected, Counter(dict.fromkeys(expected, 1))).details == []


def test_a_different_conclusion_changes_the_digest_and_is_named() -> None:
    clean = {"persons": [("E1", '{"status": "active"}', True)], "events": [], "tickets": []}
    chaos = {"persons": [("E1", '{"status": "terminated"}', True)], "events": [], "tickets": []}
    assert digest(clean) == digest({k: list(v) for k, v in clean.items()})
    assert digest(chaos) != digest(clean)
    assert differences(chaos, clean) == [
        "persons: only after chaos ('E1', '{\"status\": \"terminated\"}', True)",
        "persons: only in the clean run ('E1', '{\"status\": \"active\"}', True)",
    ]
