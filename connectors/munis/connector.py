"""Tyler MUNIS (Tyler Enterprise ERP): HR/payroll employees, department codes, job classes and
the fixed-asset register, read over SQL (reporting objects or base tables) or from CSV exports
on SFTP or a local folder. See README.md for the real-system setup and the column list."""

from __future__ import annotations

from connectors.munis.config import MunisConfig
from connectors.munis.exports import ExportReader
from connectors.munis.file_store import ExportDirectory, LocalDirectory
from connectors.munis.layouts import LAYOUTS
from connectors.munis.sftp_client import SftpDirectory
from connectors.munis.sql_client import MunisDatabase
from connectors.munis.streams import file_streams, sql_streams
from core.connector.contracts import CheckResult, SourceConnector, Stream
from core.errors import HubError


class MunisConnector(SourceConnector):
    type_name = "munis"
    title = "Tyler MUNIS (HR, payroll and fixed assets)"
    config_model = MunisConfig
    sandbox = "connectors.munis.sandbox:MunisSandbox"
    pool_slots = 2

    def __init__(self, config: MunisConfig, *, instance: str) -> None:
        super().__init__(config, instance=instance)
        self.config: MunisConfig = config
        self.database: MunisDatabase | None = None
        self.directory: ExportDirectory | None = None
        if config.transport == "sql":
            self.database = MunisDatabase(config)
        elif config.transport == "sftp":
            self.directory = SftpDirectory(config)
        else:
            self.directory = LocalDirectory(config.file_dir)

    def check(self) -> CheckResult:
        try:
            if self.database is not None:
                return self._check_sql(self.database)
            assert self.directory is not None
            return self._check_files(self.directory)
        except HubError as exc:
            return CheckResult(False, str(exc), {"kind": exc.kind})

    def _check_sql(self, database: MunisDatabase) -> CheckResult:
        read = {name: database.probe(name) for name in LAYOUTS}
        empty = [name for name, rows in read.items() if rows == 0]
        message = f"read {', '.join(lay.title for lay in LAYOUTS.values())} ({self.config.sql_layout} layout)"
        if empty:
            message += f"; no rows yet in: {', '.join(empty)}"
        return CheckResult(True, message, {"empty": empty})

    def _check_files(self, directory: ExportDirectory) -> CheckResult:
        waiting: dict[str, int] = {}
        for name in LAYOUTS:
            complete, _ = ExportReader(self.config, directory).complete_files(name)
            waiting[name] = len(complete)
        total = sum(waiting.values())
        detail = ", ".join(f"{n}: {c}" for n, c in waiting.items())
        return CheckResult(
            True, f"listed {directory.describe()}: {total} complete export files ({detail})", waiting
        )

    def streams(self) -> list[Stream]:
        if self.database is not None:
            return sql_streams(self.database)
        assert self.directory is not None
        return file_streams(self.config, self.directory)

    def close(self) -> None:
        if self.database is not None:
            self.database.close()
        if self.directory is not None:
            self.directory.close()
