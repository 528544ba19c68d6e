"""Approvals from outside the hub: cards with Approve / Reject posted to Teams, and the answer
verified (a shared secret on the request, a single-use token signed for the subject and the
decision, with an expiry) before it counts.

- `registry`: the approvable subject kinds (`hold` now; others register themselves).
- `tokens`: issuing and verifying decision tokens.
- `post`: the pass that posts one card per pending subject.
- `receive`: what the console's `/teams/approval-response` route calls with an answer.
"""
