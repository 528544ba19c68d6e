"""What the hub needs from a notifier that can ask people for a decision (the Teams notifier with
an approval workflow configured): post an approval card, and the two secrets that verify the
answer. Defined here so core never imports a connector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from core.approval_requests.registry import Pending


@dataclass(frozen=True)
class ApprovalCard:
    request_id: str
    pending: Pending
    #: single-use, signed for this request, subject and decision (see tokens.py)
    approve_token: str
    reject_token: str
    expires_at: datetime
    #: where the same decision can be taken in the hub's console, when its address is known
    link: str | None = None


@dataclass(frozen=True)
class ApprovalKeys:
    """Both from the hub's secret references (core.secrets), revealed only to sign or verify."""

    #: HMAC key the hub signs decision tokens with; never leaves the hub
    signing_key: str
    #: what the approval workflow's HTTP action sends in `RESPONSE_SECRET_HEADER`
    response_secret: str


#: header the approval workflow's HTTP action sets to the shared response secret
RESPONSE_SECRET_HEADER = "X-Hub-Approval-Secret"


@runtime_checkable
class ApprovalChannel(Protocol):
    def approvals_enabled(self) -> bool:
        """Whether an approval workflow, a signing key and a response secret are all configured."""
        ...

    def approval_keys(self) -> ApprovalKeys: ...

    def approval_ttl_hours(self) -> float: ...

    def request_approval(self, card: ApprovalCard) -> None:
        """Post the card; HubError when refused, OutcomeUnknownError when it may have been posted."""
        ...
