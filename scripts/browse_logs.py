#!/usr/bin/env python3
"""Print a CloudWatch Logs group the way an engineer browses it in the console: each stream, its events
with their time, newest stream activity first. Used by `make demo` against the local moto server.

Uses only the standard library (the CloudWatch Logs JSON API, SigV4-free: moto accepts unsigned requests
with dummy credentials in the Authorization header)."""

import argparse
import datetime
import json
import sys
import urllib.request


def call(endpoint, operation, body):
    request = urllib.request.Request(
        endpoint,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"Logs_20140328.{operation}",
            # moto reads the region and account from a SigV4-shaped header; the signature is not checked.
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/logs/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def paged(endpoint, operation, body, key, token_key="nextToken"):
    token = None
    while True:
        page = call(endpoint, operation, dict(body, **({token_key: token} if token else {})))
        yield from page.get(key, [])
        token = page.get(token_key)
        if not token:
            return


def events(endpoint, group, stream):
    token, seen = None, set()
    while True:
        body = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            body["nextToken"] = token
        page = call(endpoint, "GetLogEvents", body)
        yield from page.get("events", [])
        token = page.get("nextForwardToken")
        if not token or token in seen or not page.get("events"):
            return
        seen.add(token)


def when(millis):
    return datetime.datetime.fromtimestamp(millis / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--group", required=True)
    args = parser.parse_args()

    groups = [g["logGroupName"] for g in paged(args.endpoint, "DescribeLogGroups", {}, "logGroups")]
    if args.group not in groups:
        print(f"Log group {args.group} does not exist (groups: {groups})", file=sys.stderr)
        return 1
    streams = list(paged(args.endpoint, "DescribeLogStreams", {"logGroupName": args.group}, "logStreams"))
    contents = {s["logStreamName"]: list(events(args.endpoint, args.group, s["logStreamName"])) for s in streams}
    total = sum(len(e) for e in contents.values())
    print(f"Log group: {args.group}  ({len(streams)} streams, {total} events)")
    print("  " + ", ".join(f"{name} ({len(evs)})" for name, evs in contents.items()))
    for name, evs in contents.items():
        print()
        print(f"── stream {name!r}: {len(evs)} event(s) " + "─" * max(0, 60 - len(name)))
        for event in evs:
            print(f"  {when(event['timestamp'])}  {event['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
