"""Airflow's components as child processes, watched: one line when one dies, then a restart or,
past its budget, everything stopped and a non-zero exit (what `airflow standalone` does not do).

Each component writes to its own log file (access logs included), so the terminal keeps the few
lines an operator needs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

#: restarts allowed per component within `RESTART_WINDOW` seconds before `make up` gives up
MAX_RESTARTS = 3
RESTART_WINDOW = 600.0


def say(line: str) -> None:
    """One timestamped line on the terminal (local time with its offset, like every hub time)."""
    print(f"{datetime.now().astimezone().strftime('%H:%M:%S%z')} {line}", flush=True)


@dataclass
class Component:
    """One Airflow component (`airflow <command>`), its log file and its restarts."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n==== {datetime.now().astimezone().isoformat()} starting {self.name}\n".encode())
            log.flush()
            # its own session: stopping it reaches the workers it forks, and Ctrl-C in the
            # terminal reaches `make up` only, which stops the components in order
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def first_error(self) -> str | None:
        """The first error line of the component's latest start, to say why it stopped."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return None
        latest = text.rsplit("\n==== ", 1)[-1]
        return next(
            (line.strip() for line in latest.splitlines() if "[error" in line or "Error:" in line), None
        )

    def may_restart(self) -> bool:
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW]
        return len(self.restarts) < MAX_RESTARTS

    def restart(self) -> None:
        self.restarts.append(time.monotonic())
        self.start()

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM to the component's process group, SIGKILL to what is left after `grace`."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def watch(components: list[Component], poll_seconds: float = 2.0) -> int:
    """Until interrupted: restart a component that died (saying so in one line), or stop all and
    return 1 when it keeps dying. Returns 0 on Ctrl-C or SIGTERM (raised as KeyboardInterrupt)."""
    try:
        while True:
            for component in components:
                code = component.exit_code()
                if code is None:
                    continue
                if not component.may_restart():
                    say(
                        f"{component.name} exited with code {code} again ({MAX_RESTARTS} restarts in "
                        f"{RESTART_WINDOW / 60:.0f} min); stopping everything. Its log: {component.log_path}"
                    )
                    return 1
                cause = component.first_error()
                say(
                    f"{component.name} exited with code {code}{f' ({cause})' if cause else ''}; restarting it "
                    f"({len(component.restarts) + 1}/{MAX_RESTARTS}). Its log: {component.log_path}"
                )
                component.restart()
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        return 0


def stop_all(components: list[Component]) -> None:
    """Stop in reverse start order: the scheduler before the API server its workers report to."""
    for component in reversed(components):
        component.stop()
