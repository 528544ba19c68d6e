"""The Workday connector: workers and organizations from one tenant, by SOAP Get_Workers
(incremental, default) or a RaaS custom report (full snapshot)."""

from __future__ import annotations

from connectors.workday.client import WorkdayClient
from connectors.workday.config import WorkdayConfig
from connectors.workday.soap import WorkersQuery
from connectors.workday.streams import OrganizationsStream, WorkersReportStream, WorkersStream
from core import clock
from core.connector.contracts import CheckResult, SourceConnector, Stream
from core.errors import HubError


class WorkdayConnector(SourceConnector):
    type_name = "workday"
    title = "Workday HCM (workers, supervisory organizations, cost centers)"
    config_model = WorkdayConfig
    sandbox = "connectors.workday.sandbox:WorkdaySandbox"
    pool_slots = 2  # Workday throttles per tenant; a few concurrent calls are plenty

    def __init__(self, config: WorkdayConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.config: WorkdayConfig = config
        self.client = WorkdayClient(config)

    def check(self) -> CheckResult:
        """One Get_Workers call for one worker (or the first bytes of the report); never raises."""
        try:
            if self.config.transport == "raas":
                self.client.report_reachable()
                return CheckResult(
                    True, f"custom report {self.config.raas_report} readable by the {self.client.principal}"
                )
            now = clock.now()
            query = WorkersQuery(as_of=now.date(), as_of_entry=now, count=1)
            results, _ = next(self.client.worker_pages(query))
        except HubError as exc:
            return CheckResult(False, str(exc))
        except Exception as exc:  # check() must not raise; show the kind, never a payload
            return CheckResult(False, f"Workday check failed: {type(exc).__name__}")
        return CheckResult(
            True,
            f"Get_Workers answered for the {self.client.principal}: {results.total_results} workers visible",
            {"workers": results.total_results},
        )

    def streams(self) -> list[Stream]:
        workers: Stream = (
            WorkersReportStream(self.client)
            if self.config.transport == "raas"
            else WorkersStream(self.client)
        )
        return [OrganizationsStream(self.client), workers]

    def close(self) -> None:
        self.client.close()
