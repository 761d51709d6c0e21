#!/usr/bin/env python3
"""A Baedal event consumer in Python, on redis-py: the contract is the streams, not our code.

It joins a consumer group of its own on Baedal's streams (by default the order and delivery
streams), validates each event's `data` against the JSON Schemas in schemas/events/, prints one
line per event, and acknowledges it. Several instances with the same group share the work;
SIGTERM (or Ctrl-C) finishes the batch in hand and exits 0.

    python consumer.py                       # BAEDAL_REDIS_URL, BAEDAL_PREFIX as the daemons use them
    python consumer.py --group analytics --streams order,store,delivery,payment
"""
import argparse
import json
import os
import pathlib
import signal
import socket
import sys

import redis
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
parser = argparse.ArgumentParser(description="Consume Baedal's event streams in a consumer group of your own.")
parser.add_argument("--redis-url", default=os.environ.get("BAEDAL_REDIS_URL", "redis://127.0.0.1:6379"), help="redis://[user:password@]host:port[/db]")
parser.add_argument("--prefix", default=os.environ.get("BAEDAL_PREFIX", "baedal"))
parser.add_argument("--group", default="python-consumer", help="your consumer group (created from the start of each stream)")
parser.add_argument("--consumer", default=f"{socket.gethostname()}-{os.getpid()}")
parser.add_argument("--streams", default="order,delivery", help="comma-separated: order, payment, store, delivery")
parser.add_argument("--schemas", default=str(ROOT / "schemas" / "events"))
args = parser.parse_args()

schemas = {path.stem: Draft202012Validator(json.loads(path.read_text())) for path in pathlib.Path(args.schemas).glob("*.json")}
client = redis.Redis.from_url(args.redis_url, decode_responses=True)
streams = [f"{args.prefix}:events:{name}" for name in args.streams.split(",")]
for stream in streams:
    try:
        client.xgroup_create(stream, args.group, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise

stopping = False
def stop(*_):
    global stopping
    stopping = True
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
# A parent may start us with these blocked (a supervisor, a test runner): we want them.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

print(f"consuming {', '.join(streams)} as {args.group}/{args.consumer}", flush=True)
while not stopping:
    replies = client.xreadgroup(args.group, args.consumer, {stream: ">" for stream in streams}, count=100, block=1000)
    for stream, entries in replies or []:
        for entry_id, fields in entries:
            kind, order = fields.get("type", "?"), fields.get("orderId", "?")
            try:
                data = json.loads(fields.get("data", ""))
                problems = [error.message for error in schemas[kind].iter_errors(data)] if kind in schemas else [f"no schema for {kind}"]
            except ValueError as error:
                problems = [f"data is not JSON: {error}"]
            verdict = "valid" if not problems else "INVALID " + "; ".join(problems)
            print(f"{stream} {entry_id} {kind} {order} {verdict}", flush=True)
            client.xack(stream, args.group, entry_id)
print("stopped", flush=True)
sys.exit(0)
