"""The archive (ArchiveToS3) end to end, offline: real CloudWatch Logs subscription payloads built from the log
events the function writes (tests/golden), put through the template's Firehose processors, read back the way the
template's Glue table reads them.

Firehose itself cannot run here, so `_firehose` emulates its documented processing, processor by processor, in
the order and with the parameters the template gives (an unknown processor fails the test):
  Decompression          gunzip the subscription payload
                         (https://docs.aws.amazon.com/firehose/latest/dev/writing-with-cloudwatch-logs.html)
  CloudWatchLogProcessing / DataMessageExtraction
                         one record per log event, its message alone, the owner/logGroup/logStream dropped
                         (https://docs.aws.amazon.com/firehose/latest/dev/Message_extraction.html)
  MetadataExtraction     the template's jq query on each record gives the partition keys; a record it cannot read
                         goes to the error prefix (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html)
  AppendDelimiterToRecord  a newline after each record
                         (https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html)
The jq query runs in jq 1.6, the engine the template names, when the jq binary is installed; otherwise in a
Python rendering of it that `test_the_python_partition_rule_is_the_templates_jq_query` holds to the real one.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from test_template import ARCHIVE_ON, REPO, _Deployment, template  # noqa: F401  (template is a fixture)

GOLDEN = REPO / "tests" / "golden"
# LogFormat plain is refused with ArchiveToS3; these are the two the archive holds (addresses as they are, hashed).
ARCHIVED_MODES = ("json", "hashed")
ARRIVAL = dt.datetime(2026, 11, 20, 23, 59, 30, tzinfo=dt.timezone.utc)
CONTROL_MESSAGE = "CWL CONTROL MESSAGE: Checking health of destination Firehose."
JQ = shutil.which("jq")
# Fields of any shape read into a string column: the OpenX JSON SerDe gives a nested object as its JSON text.
JSON_TEXT_FIELDS = {"detail"}


def _golden_writes() -> Iterator[tuple[str, str, str, list[dict[str, Any]]]]:
    """(fixture, mode, stream, events) for every PutLogEvents batch the golden files record."""
    files = sorted(GOLDEN.glob("*.golden.json"))
    assert files, f"no golden files in {GOLDEN}"
    for path in files:
        for mode, run in json.loads(path.read_text(encoding="utf-8")).items():
            if mode in ARCHIVED_MODES:
                for write in run.get("writes", []):
                    yield path.name, mode, write["stream"], write["events"]


def _logged_events() -> list[tuple[str, str, dict[str, Any]]]:
    """(where, stream, log event as JSON) for every event the function writes in the archived modes."""
    events = []
    for fixture, mode, stream, batch in _golden_writes():
        for event in batch:
            logged = json.loads(event["message"])
            assert isinstance(logged, dict), f"{fixture} ({mode}): not a JSON object: {event['message']!r}"
            events.append((f"{fixture} ({mode}, {stream})", stream, logged))
    return events


def _table(tpl: dict[str, Any]) -> dict[str, Any]:
    return _Deployment(tpl, **ARCHIVE_ON).resource("ArchiveTable")["Properties"]["TableInput"]


def _column_types(tpl: dict[str, Any]) -> dict[str, Any]:
    """The JSON key (lower case) each column reads -> its type: the column's name, or the key its SerDe
    property mapping.<column> names (for a key no column can be named, such as detail-type)."""
    serde = _table(tpl)["StorageDescriptor"]["SerdeInfo"].get("Parameters", {})
    key_of = {name.removeprefix("mapping."): key.lower() for name, key in serde.items() if name.startswith("mapping.")}
    return {key_of.get(c["Name"], c["Name"]): _hive_type(c["Type"]) for c in _table(tpl)["StorageDescriptor"]["Columns"]}


# ------------------------------------------------------------------ Hive types, as the JSON SerDe reads them


def _hive_type(text: str) -> Any:
    """'map<string,array<string>>' -> ('map', ('string',), ('array', ('string',))); structs keep their fields."""
    parsed, rest = _parse_hive(text.replace(" ", ""))
    assert rest == "", f"cannot parse Hive type {text!r}"
    return parsed


def _parse_hive(text: str) -> tuple[Any, str]:
    name = re.match(r"\w+", text)
    assert name, f"bad Hive type at {text!r}"
    kind, rest = name.group(0).lower(), text[name.end():]
    if kind in {"string", "bigint", "int", "boolean", "double"}:
        return (kind,), rest
    assert rest.startswith("<"), f"{kind} needs its element types: {text!r}"
    rest = rest[1:]
    if kind == "array":
        element, rest = _parse_hive(rest)
        assert rest.startswith(">")
        return ("array", element), rest[1:]
    if kind == "map":
        key, rest = _parse_hive(rest)
        assert rest.startswith(",")
        value, rest = _parse_hive(rest[1:])
        assert rest.startswith(">")
        return ("map", key, value), rest[1:]
    assert kind == "struct", f"unknown Hive type {kind}"
    fields = {}
    while True:
        field = re.match(r"(\w+):", rest)
        assert field, f"bad struct field at {rest!r}"
        fields[field.group(1)], rest = _parse_hive(rest[field.end():])
        if rest.startswith(">"):
            return ("struct", fields), rest[1:]
        assert rest.startswith(","), rest
        rest = rest[1:]


def _misfits(value: Any, hive: Any, path: str) -> list[str]:
    """Where a JSON value does not fit a Hive type (the SerDe matches keys case-insensitively); [] if it fits."""
    if value is None:
        return []
    kind = hive[0]
    if kind == "string" and path in JSON_TEXT_FIELDS:
        return []
    if kind == "string":
        return [] if isinstance(value, str) else [f"{path}: {value!r} is not a string"]
    if kind in {"bigint", "int"}:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: {value!r} is not an integer"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a boolean"]
    if kind == "double":
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{path}: {value!r}"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not an array"]
        return [m for i, item in enumerate(value) for m in _misfits(item, hive[1], f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        return [m for key, item in value.items() for m in _misfits(item, hive[2], f"{path}.{key}")]
    fields = hive[1]
    if not isinstance(value, dict):
        return [f"{path}: {value!r} is not an object"]
    misses = [f"{path}.{key}: no such struct field" for key in value if key.lower() not in fields]
    return misses + [m for key, item in value.items() if key.lower() in fields
                     for m in _misfits(item, fields[key.lower()], f"{path}.{key}")]


def _row(line: str, columns: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A JSON line as the table's row (column -> value, absent keys null) and whatever does not fit."""
    logged = json.loads(line)
    assert isinstance(logged, dict), line
    lowered = [key.lower() for key in logged]
    assert len(lowered) == len(set(lowered)), f"keys that differ only in case: {sorted(logged)}"
    misses = [f"{key}: no column" for key in logged if key.lower() not in columns]
    misses += [m for key, value in logged.items() if key.lower() in columns
               for m in _misfits(value, columns[key.lower()], key)]
    row = {name: None for name in columns}
    row.update({key.lower(): value for key, value in logged.items()})
    return row, misses


def test_the_table_has_a_fitting_column_for_every_field_of_every_logged_event(template: dict[str, Any]) -> None:
    """Derived from the golden files: a field the function starts to log without a column fails here."""
    columns = _column_types(template)
    events = _logged_events()
    assert len(events) > 20
    misses = [f"{where}: {miss}" for where, _, logged in events for miss in _row(json.dumps(logged), columns)[1]]
    assert not misses, "\n".join(misses)
    logged_fields = {key.lower() for _, _, logged in events for key in logged}
    # And no column reads nothing: each is a field some log event has.
    assert set(columns) == logged_fields


def test_the_projected_event_types_are_exactly_the_streams_the_function_writes(template: dict[str, Any]) -> None:
    streams = {stream for _, _, stream, _ in _golden_writes()}
    projected = _table(template)["Parameters"]["projection.eventtype.values"].split(",")
    assert len(projected) == len(set(projected))
    assert set(projected) == {stream.replace(" ", "") for stream in streams}


# ------------------------------------------------------------------ the chain: CloudWatch Logs -> Firehose -> S3


def _subscription_payload(stream: str, events: list[dict[str, Any]], first_id: int) -> bytes:
    """What CloudWatch Logs hands Firehose for one batch of a stream: gzipped JSON, a DATA_MESSAGE."""
    return gzip.compress(json.dumps({
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "ses-feedback",
        "logStream": stream,
        "subscriptionFilters": ["archive-to-s3"],
        "logEvents": [
            {"id": str(first_id + i).rjust(56, "3"), "timestamp": e["timestamp"], "message": e["message"]}
            for i, e in enumerate(events)
        ],
    }).encode())


def _control_payload() -> bytes:
    """What CloudWatch Logs sends when the subscription filter is created, to check the destination."""
    return gzip.compress(json.dumps({
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": 1795218000000, "message": CONTROL_MESSAGE}],
    }).encode())


def _jq(query: str, record: bytes) -> dict[str, str] | None:
    """The partition keys jq 1.6 computes for a record, or None where it fails (Firehose: the error prefix)."""
    done = subprocess.run([JQ, "-c", query], input=record, capture_output=True, check=False)  # type: ignore[list-item]
    if done.returncode != 0:
        return None
    keys = json.loads(done.stdout)
    return keys if isinstance(keys, dict) else None


def _partition_rule(record: bytes) -> dict[str, str] | None:
    """The template's jq query in Python: the notificationType without spaces; without one, AccountEvent for an
    event with a detail-type, else Unrecognized."""
    try:
        logged = json.loads(record)
    except ValueError:
        return None
    if not isinstance(logged, dict):
        return None
    kind = logged.get("notificationType")
    if kind is None or kind is False:
        # SES's account-level EventBridge events are kept whole: they have a detail-type and no notificationType.
        detail_type = logged.get("detail-type")
        kind = "AccountEvent" if detail_type is not None and detail_type is not False else "Unrecognized"
    return {"eventtype": kind.replace(" ", "")} if isinstance(kind, str) else None


def _firehose(tpl: dict[str, Any], payloads: list[bytes]) -> dict[str, bytes]:
    """The objects Firehose writes for these records: S3 prefix -> gzipped content (see the module's docstring)."""
    destination = _Deployment(tpl, **ARCHIVE_ON).resource("ArchiveDeliveryStream")["Properties"][
        "ExtendedS3DestinationConfiguration"
    ]
    processors = destination["ProcessingConfiguration"]["Processors"]
    objects: dict[str, list[bytes]] = {}
    for payload in payloads:
        records: list[tuple[bytes, dict[str, str] | None]] = [(payload, {})]
        for processor in processors:
            parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters", [])}
            kind = processor["Type"]
            if kind == "Decompression":
                assert parameters["CompressionFormat"] == "GZIP"
                records = [(gzip.decompress(data), keys) for data, keys in records]
            elif kind == "CloudWatchLogProcessing":
                assert parameters["DataMessageExtraction"] == "true"
                # Pessimistic about CONTROL_MESSAGE: its text is passed on like a log event's message.
                records = [
                    (event["message"].encode(), keys)
                    for data, keys in records
                    for event in json.loads(data)["logEvents"]
                ]
            elif kind == "MetadataExtraction":
                assert parameters["JsonParsingEngine"] == "JQ-1.6"
                query = parameters["MetadataExtractionQuery"]
                records = [(data, _jq(query, data) if JQ else _partition_rule(data)) for data, _ in records]
            elif kind == "AppendDelimiterToRecord":
                records = [(data + b"\n", keys) for data, keys in records]
            else:
                pytest.fail(f"the emulation does not know Firehose's {kind} processor")
        for data, keys in records:
            if keys is None:
                prefix = _render_prefix(destination["ErrorOutputPrefix"], {"firehose:error-output-type": "partitioning-failed"})
            else:
                prefix = _render_prefix(destination["Prefix"], {f"partitionKeyFromQuery:{k}": v for k, v in keys.items()})
            objects.setdefault(prefix, []).append(data)
    return {prefix: gzip.compress(b"".join(parts)) for prefix, parts in objects.items()}


def _render_prefix(prefix: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("timestamp:"):
            java = name[len("timestamp:"):]
            assert java == "yyyy-MM-dd", f"the emulation renders only yyyy-MM-dd, not {java}"
            return ARRIVAL.strftime("%Y-%m-%d")
        assert name in values, f"no value for !{{{name}}}"
        return values[name]

    return re.sub(r"!\{([^}]*)\}", value, prefix)


def _partition_of(location_template: str, prefix: str) -> dict[str, str] | None:
    """The partition values of an S3 prefix under the table's storage.location.template, or None if outside it."""
    pattern = re.escape(location_template.replace("s3://${ArchiveBucket}/", ""))
    pattern = re.sub(r"\\\$\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
    match = re.fullmatch(pattern, prefix)
    return match.groupdict() if match else None


def _archive_rows(tpl: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, bytes], int]:
    """Every row Athena reads from the emulated bucket (partition columns included), the objects, the event count."""
    payloads, count = [_control_payload()], 0
    for _, _, stream, events in _golden_writes():
        payloads.append(_subscription_payload(stream, events, count))
        count += len(events)
    objects = _firehose(tpl, payloads)
    table = _table(tpl)
    projected = set(table["Parameters"]["projection.eventtype.values"].split(","))
    columns = _column_types(tpl)
    rows = []
    for prefix, content in objects.items():
        partition = _partition_of(table["Parameters"]["storage.location.template"], prefix)
        if partition is None:
            assert not prefix.startswith("feedback/"), f"{prefix} is in the table's location but not a partition"
            continue
        assert partition["eventtype"] in projected, f"{prefix}: not a projected eventtype"
        dt.date.fromisoformat(partition["archiveday"])
        text = gzip.decompress(content).decode()
        assert text.endswith("\n")
        for line in text.split("\n")[:-1]:
            row, misses = _row(line, columns)
            assert not misses, f"{prefix}: {misses}"
            rows.append({**row, **partition})
    return rows, objects, count


def test_the_chain_turns_real_subscription_payloads_into_the_rows_the_table_reads(template: dict[str, Any]) -> None:
    """Every event of every stream the function writes becomes one JSON line in its partition, read by the table
    with fitting columns; the control message CloudWatch Logs sends never reaches the table."""
    rows, objects, count = _archive_rows(template)
    assert len(rows) == count
    # Each stream's events, and only they, in the stream's partition.
    def fields(event: dict[str, Any]) -> str:
        return json.dumps({k.lower(): v for k, v in event.items() if v is not None}, sort_keys=True)

    written = sorted((stream.replace(" ", ""), fields(json.loads(e["message"])))
                     for _, _, stream, batch in _golden_writes() for e in batch)
    filed = sorted((row["eventtype"], fields({k: v for k, v in row.items() if k not in ("eventtype", "archiveday")}))
                   for row in rows)
    assert filed == written
    assert all(row["archiveday"] == "2026-11-20" for row in rows)
    assert {row["eventtype"] for row in rows} == set(_table(template)["Parameters"]["projection.eventtype.values"].split(","))
    errors = {prefix: gzip.decompress(content) for prefix, content in objects.items() if prefix.startswith("errors/")}
    assert list(errors.values()) == [CONTROL_MESSAGE.encode() + b"\n"]


def test_the_worked_query_finds_the_permanent_bounces_in_the_bounce_partition(template: dict[str, Any]) -> None:
    """SELECT emailAddress, reason FROM feedback WHERE notificationType = 'Bounce' AND effectiveBounceType =
    'Permanent', on the emulated archive: every answer has a reason and lies in eventtype=Bounce, so adding
    eventtype = 'Bounce' (fewer bytes scanned) changes no answer."""
    rows, _, _ = _archive_rows(template)
    answers = [row for row in rows if row["notificationtype"] == "Bounce" and row["effectivebouncetype"] == "Permanent"]
    assert answers
    assert all(row["eventtype"] == "Bounce" and row["reason"] and row["emailaddress"] for row in answers)
    logged = [e for _, _, e in _logged_events() if e.get("notificationType") == "Bounce" and e.get("effectiveBounceType") == "Permanent"]
    assert sorted((r["emailaddress"], r["reason"]) for r in answers) == sorted((e["emailAddress"], e["reason"]) for e in logged)


@pytest.mark.skipif(JQ is None, reason="the jq binary (1.6, Firehose's engine) is not installed")
def test_the_python_partition_rule_is_the_templates_jq_query(template: dict[str, Any]) -> None:
    query = next(
        p for proc in _Deployment(template, **ARCHIVE_ON).resource("ArchiveDeliveryStream")["Properties"][
            "ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"]["Processors"]
        if proc["Type"] == "MetadataExtraction" for p in proc["Parameters"] if p["ParameterName"] == "MetadataExtractionQuery"
    )["ParameterValue"]
    records = [json.dumps(logged).encode() for _, _, logged in _logged_events()]
    records += [CONTROL_MESSAGE.encode(), b"[1, 2]", b'{"notificationType": "Rendering Failure"}']
    records += [b'{"notificationType": 5}', b'{"notificationType": null}', b'{"notificationType": false}']
    records += [b'{"detail-type": "Sending Status Enabled"}', b'{"detail-type": null}', b'{"detail-type": false}']
    for record in records:
        assert _jq(query, record) == _partition_rule(record), record
