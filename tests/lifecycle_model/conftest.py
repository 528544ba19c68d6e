"""Hypothesis profiles of the model tests, chosen by `HUB_HYPOTHESIS_PROFILE`:

- `quick` (default, `make test`): 100 timelines in-process and 5 through the sandboxes, from the
  vocabulary this branch's engine settles (see `PENDING_ENGINE_WORK`), derandomized;
- `verify` (`make verify`): 2,000 timelines in-process and 60 through the sandboxes, from the whole
  vocabulary, randomized (a new sample every run).

`HUB_MODEL_VOCABULARY=all|settled` overrides the vocabulary of either profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HUB_HYPOTHESIS_PROFILE", "quick")
#: profile -> (timelines in-process, timelines through the sandboxes over HTTPS)
EXAMPLES = {"quick": (100, 5), "verify": (2000, 60)}
VOCABULARY = os.environ.get("HUB_MODEL_VOCABULARY", "all" if PROFILE == "verify" else "settled")

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("quick", derandomize=True, database=None, **_COMMON)
settings.register_profile("verify", database=None, **_COMMON)
settings.load_profile(PROFILE)
