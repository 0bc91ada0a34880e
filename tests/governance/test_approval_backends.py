"""Approvals on both backends: two admins pressing at once settle a request once."""

from __future__ import annotations

import threading

from bot.governance.approvals import Approvals
from bot.governance.audit import AuditLog
from bot.store.database import Store


def test_two_admins_pressing_at_once_decide_an_approval_once(database_target):
    first, second = Store(database_target), Store(database_target)
    approvals = [Approvals(s, AuditLog(s)) for s in (first, second)]
    handled: list[str] = []
    for a in approvals:
        a.handle("batch", approved=lambda x: handled.append(x.decided_by), denied=handled.append)
    request, created = approvals[0].request(
        "batch", "b1", requester="U1", grid_id="g1", grid_name="Leads", rows=5000, estimate=9.5
    )
    assert created and approvals[1].request(
        "batch", "b1", requester="U1", grid_id="g1", grid_name="Leads", rows=5000, estimate=9.5
    ) == (approvals[1].get(request.id), False)
    start = threading.Barrier(2)
    results: dict[str, bool] = {}

    def press(n: int, admin: str) -> None:
        start.wait()
        results[admin] = approvals[n].decide(request.id, admin, approve=True)[1]

    threads = [threading.Thread(target=press, args=(n, f"UADMIN{n}")) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [False, True]
    winner = next(admin for admin, applied in results.items() if applied)
    assert handled == [winner]
    settled = approvals[1].get(request.id)
    assert settled.state == "approved" and settled.decided_by == winner
    assert [e.action for e in AuditLog(first).entries()] == ["approved", "approval_requested"]
    first.close()
    second.close()
