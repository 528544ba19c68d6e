"""`hub mapping`: check mapping files, preview a stream's mapping on sample or stored records, and
show what a changed mapping would change before it is deployed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from core.cli.app import ConfigOption, JsonOption, _hub
from core.cli.output import console, err_console, print_json
from core.errors import ConfigError

app = typer.Typer(help="Check and preview the declarative mappings (mappings/*.yaml).", no_args_is_help=True)

DirOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--dir", "-d", help="extra override directory applied last, e.g. a mapping change to try (repeatable)"
    ),
]
RecordOption = Annotated[
    Path | None,
    typer.Option("--record", "-r", help="JSON file with one record or a list of records; - for stdin"),
]
FromStore = Annotated[
    bool, typer.Option("--from-store", help="preview records already synced into the store")
]
Limit = Annotated[int, typer.Option("--limit", "-n", help="at most this many stored records")]
Instance = Annotated[str | None, typer.Option("--instance", help="only this connector instance of hub.yaml")]


def _load(config: Path, extra: list[Path] | None, also: tuple[str, ...] = ()) -> Any:
    """The hub and the mappings it would run with (plus `--dir` overrides, and the packaged
    mapping of `also` these connector types); errors printed plainly."""
    hub = _hub(config)
    try:
        return hub, hub.load_mappings(extra, also)
    except ConfigError as exc:
        err_console.print(
            f"[bold red]error[/] (config): {escape(exc.message)}", highlight=False, soft_wrap=True
        )
        if exc.hint:
            err_console.print(f"[yellow]hint[/]: {escape(exc.hint)}", highlight=False)
        raise typer.Exit(2) from None


@app.command()
def check(
    config: ConfigOption = Path("hub.yaml"), extra: DirOption = None, as_json: JsonOption = False
) -> None:
    """Load and validate every mapping file (shipped, hub.yaml overrides, --dir); exit 2 on errors."""
    hub, mappings = _load(config, extra)
    rows: list[dict[str, Any]] = [
        {"connector": m.connector, "stream": m.stream, "entity": m.entity, "fields": len(m.fields),
         "required": list(m.required), "when": m.when_text, "files": mappings.files.get(m.connector, [])}
        for m in mappings
    ]  # fmt: skip
    unknown, unmapped = _stream_names(hub, mappings)
    hub.close()
    if as_json:
        print_json(rows)
    else:
        console.print(summary_table(rows))
        for connector, files in sorted(mappings.files.items()):
            console.print(f"{connector}: {escape(', '.join(files))}", highlight=False)
        for note in unmapped:
            console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
    for problem in unknown:
        err_console.print(f"[bold red]error[/]: {escape(problem)}", highlight=False)
    if unknown:
        raise typer.Exit(2)
    if not as_json:
        console.print(f"[green]ok[/]: {len(rows)} stream mappings in {len(mappings.files)} connectors")


def _stream_names(hub: Any, mappings: Any) -> tuple[list[str], list[str]]:
    """Mapped streams a configured connector does not declare (errors), and declared streams
    without a mapping (notes). Only connector types with an instance in hub.yaml can be asked."""
    from core.connector.contracts import SourceConnector
    from core.errors import HubError
    from core.mapping.failures import did_you_mean

    unknown: list[str] = []
    unmapped: list[str] = []
    asked: set[str] = set()
    for instance in hub.config.instances:
        if instance.type in asked:
            continue
        try:
            connector = hub.connector(instance.name)
            declared = (
                [s.name for s in connector.streams()] if isinstance(connector, SourceConnector) else None
            )
        except HubError as exc:
            unmapped.append(f"streams of {instance.name} not checked: {exc.message}")
            continue
        if declared is None:
            continue
        asked.add(instance.type)
        switched_off = connector.streams_switched_off() if isinstance(connector, SourceConnector) else {}
        for mapping in mappings.for_connector(instance.type):
            if mapping.stream in switched_off:
                unmapped.append(
                    f"{instance.name}: stream {mapping.stream!r} is mapped but off in this instance "
                    f"(turn it on with {switched_off[mapping.stream]})"
                )
            elif mapping.stream not in declared:
                hint = did_you_mean(mapping.stream, declared)
                unknown.append(
                    f"{mapping.where}: {instance.type} has no stream {mapping.stream!r}{hint}; its streams: {', '.join(declared)}"
                )
        mapped = {m.stream for m in mappings.for_connector(instance.type)}
        missing = [name for name in declared if name not in mapped]
        if missing:
            unmapped.append(
                f"{instance.type} streams without a mapping (staged unmapped): {', '.join(missing)}"
            )
    return unknown, unmapped


@app.command()
def functions(as_json: JsonOption = False) -> None:
    """List the functions of the expression language."""
    from core.mapping.functions import FUNCTIONS

    if as_json:
        print_json([{"signature": f.signature, "summary": f.summary} for f in FUNCTIONS.values()])
    else:
        console.print(functions_table(sorted(FUNCTIONS.values(), key=lambda f: f.name)))


@app.command()
def preview(
    connector: str,
    stream: str,
    record: RecordOption = None,
    from_store: FromStore = False,
    limit: Limit = 5,
    instance: Instance = None,
    config: ConfigOption = Path("hub.yaml"),
    extra: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show, field by field, what CONNECTOR's STREAM mapping makes of sample or stored records.

    Exit code 5 when any record would be quarantined.
    """
    _preview(connector, stream, record, from_store, limit, instance, config, extra, as_json)


@app.command("test")
def test_cmd(
    connector: str,
    stream: Annotated[str, typer.Option("--stream", "-s", help="stream name")],
    record: RecordOption = None,
    from_store: FromStore = False,
    limit: Limit = 5,
    instance: Instance = None,
    config: ConfigOption = Path("hub.yaml"),
    extra: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """The canonical output (or the errors) of CONNECTOR's mapping for a sample record."""
    _preview(connector, stream, record, from_store, limit, instance, config, extra, as_json)


def _preview(
    connector: str,
    stream: str,
    record: Path | None,
    from_store: bool,
    limit: int,
    instance: str | None,
    config: Path,
    extra: list[Path] | None,
    as_json: bool,
) -> None:
    from core.mapping.preview import preview_record, stored_records

    if (record is None) == (not from_store):
        raise ConfigError("give either --record FILE.json (or - for stdin) or --from-store")
    hub, mappings = _load(config, extra, also=(connector,))
    mapping = _stream_mapping(mappings, connector, stream)
    samples: list[tuple[str | None, Any]]
    if record is not None:
        samples = [(None, r) for r in _read_records(record)]
    else:
        rows = stored_records(hub.store, _instances(hub, connector, instance), stream, limit=limit)
        samples = [(f"{r.instance}/{r.key}", r.payload) for r in rows]
    previews = [preview_record(mapping, payload, key) for key, payload in samples]
    hub.close()
    if as_json:
        print_json([p.as_dict() for p in previews])
    else:
        if not previews:
            console.print(f"no stored records for {connector}/{stream}: run `hub sync` first")
        for p in previews:
            for renderable in preview_view(mapping, p):
                console.print(renderable)
    if any(p.quarantine for p in previews):
        raise typer.Exit(5)


@app.command()
def diff(
    connector: str,
    extra: Annotated[
        list[Path], typer.Option("--dir", "-d", help="directory with the changed mapping file(s)")
    ],
    stream: Annotated[
        list[str] | None, typer.Option("--stream", "-s", help="only this stream (repeatable)")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="at most this many stored records per stream")
    ] = None,
    samples: Annotated[int, typer.Option(help="example records to show per stream")] = 5,
    instance: Instance = None,
    config: ConfigOption = Path("hub.yaml"),
    as_json: JsonOption = False,
) -> None:
    """What the mapping in --dir would change for CONNECTOR's records already in the store.

    Compares each stored fragment (and each open quarantine entry) with the changed mapping's
    result: changed fields, records newly quarantined, quarantined records it would release.
    """
    from core.mapping.preview import diff_records, stored_records

    hub, candidate = _load(config, extra, also=(connector,))
    instances = _instances(hub, connector, instance)
    names = stream or [m.stream for m in candidate.for_connector(connector)]
    reports = {}
    for name in names:
        mapping = _stream_mapping(candidate, connector, name)
        rows = stored_records(hub.store, instances, name, limit=limit)
        reports[name] = diff_records(mapping, rows, samples=samples)
    hub.close()
    if as_json:
        print_json({name: report.as_dict() for name, report in reports.items()})
        return
    for name, report in reports.items():
        for renderable in diff_view(f"{connector}/{name}", report):
            console.print(renderable)


@app.command()
def schema(
    write: Annotated[
        Path | None, typer.Option(help="write the JSON Schema to this file instead of printing it")
    ] = None,
) -> None:
    """The JSON Schema of mapping files (generated from the canonical model), for editors."""
    from core.mapping.schema import mapping_schema

    text = json.dumps(mapping_schema(), indent=2, ensure_ascii=False) + "\n"
    if write is None:
        sys.stdout.write(text)
    else:
        write.write_text(text, encoding="utf-8")
        console.print(f"wrote {write}")


def _stream_mapping(mappings: Any, connector: str, stream: str) -> Any:
    from core.mapping.failures import did_you_mean

    mapping = mappings.for_stream(connector, stream)
    if mapping is None:
        connectors = mappings.connectors()
        if connector not in connectors:
            raise ConfigError(
                f"no mapping file for connector {connector!r}{did_you_mean(connector, connectors)}",
                hint=f"mapped connectors: {', '.join(connectors) or 'none'}",
            )
        streams = [m.stream for m in mappings.for_connector(connector)]
        raise ConfigError(
            f"{connector} has no mapping for stream {stream!r}{did_you_mean(stream, streams)}",
            hint=f"mapped streams: {', '.join(streams)}",
        )
    return mapping


def _instances(hub: Any, connector: str, only: str | None) -> list[str]:
    if only is not None:
        instance = hub.config.instance(only)
        if instance.type != connector:
            raise ConfigError(f"instance {only!r} is a {instance.type} connector, not {connector}")
        return [only]
    names = [i.name for i in hub.config.instances if i.type == connector]
    if not names:
        raise ConfigError(
            f"hub.yaml has no instance of connector type {connector!r}",
            hint="pass --config or --record instead",
        )
    return names


def _read_records(path: Path) -> list[Any]:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the record file ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    return data if isinstance(data, list) else [data]


# --- rendering -------------------------------------------------------------------------------


def summary_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Mappings", title_justify="left")
    for column in ("connector", "stream", "entity", "fields", "required", "when"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r["connector"], r["stream"], r["entity"], str(r["fields"]), ", ".join(r["required"]) or "-",
            escape(r["when"] or "-"),
        )  # fmt: skip
    return table


def functions_table(functions: list[Any]) -> Table:
    table = Table(title="Functions (docs/mapping.md has an example of each)", title_justify="left")
    table.add_column("signature", no_wrap=True)
    table.add_column("what it gives")
    for f in functions:
        table.add_row(escape(f.signature), escape(f.summary))
    return table


def _show(value: Any) -> str:
    return escape(json.dumps(value, ensure_ascii=False, default=str)) if value is not None else "[dim]null[/]"


def preview_view(mapping: Any, preview: Any) -> list[Any]:
    """One table per record: field, expression, the source values it reads, the canonical value."""
    title = f"{mapping.connector}/{mapping.stream} -> {mapping.entity}" + (
        f"  {preview.key}" if preview.key else ""
    )
    table = Table(title=escape(title), title_justify="left")
    for column in ("field", "expression", "source values", "canonical value"):
        table.add_column(column, overflow="fold")
    for row in preview.fields:
        inputs = "\n".join(f"{escape(path)} = {_show(value)}" for path, value in row.inputs.items()) or "-"
        result = f"[red]error: {escape(row.error)}[/]" if row.error else _show(row.value)
        table.add_row(row.field, escape(row.expression), inputs, result)
    lines: list[Any] = [table]
    if preview.skipped:
        lines.append(
            f"[yellow]skipped[/]: when: {escape(mapping.when_text or '')} is false (staged without a fragment)"
        )
    elif preview.quarantine is not None:
        q = preview.quarantine
        lines.append(f"[red]quarantined[/]: field {escape(str(q.field))}: {escape(q.message)}")
    else:
        lines.append("[green]mapped[/]")
    return lines


def diff_view(label: str, report: Any) -> list[Any]:
    lines: list[Any] = [
        f"[bold]{escape(label)}[/]: {report.compared} stored records compared: {report.unchanged} unchanged, "
        f"{report.changed} changed, {report.newly_quarantined} newly quarantined, "
        f"{report.released} released from quarantine, {report.still_quarantined} still quarantined, "
        f"{report.skipped} skipped by when:"
    ]
    if report.field_changes:
        table = Table(title="fields that change", title_justify="left")
        table.add_column("field")
        table.add_column("records", justify="right")
        for name, count in report.field_changes.most_common():
            table.add_row(name, str(count))
        lines.append(table)
    for sample in report.samples:
        head = f"  {escape(sample['instance'])}/{escape(str(sample['key']))}"
        if "changes" in sample:
            for name, change in sample["changes"].items():
                lines.append(f"{head} {name}: {_show(change['before'])} -> {_show(change['after'])}")
        elif "quarantine" in sample:
            q = sample["quarantine"]
            lines.append(f"{head} [red]quarantined[/] field {escape(str(q['field']))}: {escape(q['reason'])}")
        else:
            lines.append(f"{head} [green]released[/] (was: {escape(sample['released'])})")
    return lines
