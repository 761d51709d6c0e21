"""`make bench`, replay part (issue 20): what each Lua script call of an order's life costs Redis,
measured alone on an idle redis-server, so that a change to a script can be priced without the
noise of a whole stack sharing two cores.

Input: MONITOR captures of the stack's Redis (scripts/bench-cost.sh with COST_MONITOR=FILE), one of
a single order's life (the commits) and one of a few hundred lives at 48 customers (the policies'
batches), and the scripts' sources (the tree, or a git revision). The captured calls name their
scripts by SHA1; a source whose SHA1 differs is refused (binaries and sources must match).

- Commits: each of the first order's commit calls (place, accept, start and finish cooking, pick,
  deliver, confirm) again with a fresh order id per call (redis-benchmark's __rand_int__, expected
  version 0: the same writes on a new hash), Redis's used CPU over N calls; the sum is one life's.
- Apply batches: every batch of each policy at 48 customers, its entries made pending for its
  consumer on a flushed Redis before each call, the call's own time (INFO commandstats, EVALSHA
  usec), best of R/2; per entry over all of them.

- The commits' forms (issue 20 asked whether Redis Functions are cheaper than `EVALSHA`, and the
  third step named `MULTI`/`EXEC` as a lever): each commit of the life with the read that precedes
  it (the command's `HGETALL` of the order), N fresh orders streamed through `redis-cli --pipe` so
  that no round trip's socket work is in the figure, three ways: as today (`EVALSHA`), the same Lua
  as a function (`FCALL`), and as a client would write it with a transaction (`WATCH` of every key,
  the script's reads and `TYPE` probes, then `MULTI`, the writes, `EXEC`). Both of the latter keep
  two round trips per commit, as today. Each order is new, so its read finds no hash in all three.

Prints `replay …` lines; scripts/bench-replay.sh puts old beside new.
"""
import argparse
import re
import subprocess
import sys
import time

import redis

SCRIPTS = {
    "commit": "Sources/Backbone/Commit/AtomicCommitter.swift",
    "apply": "Sources/Backbone/Runtime/Transport/EffectApplier.swift",
}


def source(path, rev):
    text = open(path).read() if rev is None else subprocess.run(["git", "show", f"{rev}:{path}"], check=True, capture_output=True, text=True).stdout
    block = re.findall(r'static let script = RedisScript\(source: #"""\n(.*?)\n\s*"""#\)', text, re.S)[0]
    return "\n".join(line[4:] if line.startswith("    ") else line.lstrip() for line in block.split("\n"))


def parse(line):
    """A MONITOR line's arguments as bytes."""
    body = line[line.index("]") + 2:]
    out, i = [], 0
    escapes = {"n": b"\n", "r": b"\r", "t": b"\t", '"': b'"', "\\": b"\\", "a": b"\a", "b": b"\b"}
    while i < len(body):
        if body[i] != '"':
            i += 1
            continue
        i += 1
        buf = bytearray()
        while body[i] != '"':
            c = body[i]
            if c == "\\":
                n = body[i + 1]
                if n == "x":
                    buf.append(int(body[i + 2:i + 4], 16))
                    i += 4
                    continue
                buf += escapes[n]
                i += 2
                continue
            buf += c.encode()
            i += 1
        out.append(bytes(buf))
        i += 1
    return out


def evalshas(path):
    with open(path, errors="surrogateescape") as f:
        return [parse(line) for line in f if '"EVALSHA"' in line]


def cpu(r):
    info = r.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--rev", default=None, help="git revision of the sources (default: the tree)")
    parser.add_argument("--life", required=True, help="MONITOR capture of one order's life")
    parser.add_argument("--batches", required=True, help="MONITOR capture at 48 customers")
    parser.add_argument("--port", type=int, required=True, help="an idle redis-server to replay on")
    parser.add_argument("--calls", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--forms", action="store_true", help="also price the commits as FCALL and as WATCH/MULTI/EXEC")
    args = parser.parse_args()
    r = redis.Redis(port=args.port)
    sources = {name: source(path, args.rev) for name, path in SCRIPTS.items()}
    sha = {name: r.script_load(text) for name, text in sources.items()}

    def bench(command):
        r.flushall()
        for text in sources.values():
            r.script_load(text)
        before = cpu(r)
        subprocess.run([b"redis-benchmark", b"-p", str(args.port).encode(), b"-n", str(args.calls).encode(), b"-c", b"10", b"-q",
                        b"-r", b"100000000"] + command, check=True, stdout=subprocess.DEVNULL)
        return (cpu(r) - before) * 1e6 / args.calls

    # Commits of the first order.
    commits = []
    for call in evalshas(args.life):
        if call[1].decode() != sha["commit"]:
            continue
        order = call[3].split(b":")[-1]
        if commits and order != commits[0][0]:
            continue
        commits.append((order, call))
    if not commits:
        sys.exit(f"bench-replay: no commit of script {sha['commit']} in {args.life}: are the binaries built from these sources?")
    calls = []
    for order, call in commits:
        replay = [part.replace(order, b"o-__rand_int__") for part in call]
        keys = int(replay[2])
        replay[3 + keys] = b"0"  # a new hash each call: expected version 0
        calls.append(replay)
    ping = min(bench([b"PING"]) for _ in range(args.rounds))
    each = [min(bench(call) for _ in range(args.rounds)) for call in calls]
    print(f"replay {args.label} ping {ping:.2f}")
    print(f"replay {args.label} commits {len(each)} total {sum(each):.1f} each {' '.join(f'{x:.1f}' for x in each)} "
          f"argbytes {sum(sum(len(p) for p in c[3:]) for c in calls)}")

    # Apply batches: every one of the capture, per policy.
    batches = {}
    for call in evalshas(args.batches):
        if call[1].decode() == sha["apply"]:
            batches.setdefault(call[3].decode().split(":")[-1], []).append(call)
    for policy, calls in sorted(batches.items()):
        total, entries, writes = 0, 0, 0
        for call in calls:
            spent, n, w = apply_once(r, sources["apply"], call, policy, max(1, args.rounds // 2))
            total, entries, writes = total + spent, entries + n, writes + w
        print(f"replay {args.label} apply {policy} entries {entries} writes {writes} usec {total} per-entry {total / entries:.2f} calls {len(calls)}")

    if args.forms:
        forms = {form: sum(min(pipe_commits(r, args.port, sources["commit"], sha["commit"], form, order, call, args.calls)
                               for _ in range(max(1, args.rounds // 2))) for order, call in commits)
                 for form in ("evalsha", "fcall", "multi")}
        print(f"replay {args.label} forms evalsha {forms['evalsha']:.1f} fcall {forms['fcall']:.1f} multi {forms['multi']:.1f}")


def resp(command):
    out = [b"*%d\r\n" % len(command)]
    for part in command:
        part = part.encode() if isinstance(part, str) else part
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


def transaction(keys, argv):
    """The commit script's work as a client would send it with `WATCH`/`MULTI`/`EXEC` (the same
    reads, probes and writes; the checks the script makes in Lua made by the client between)."""
    K, A = [None] + keys, [None] + argv
    uses_key = A[2] == b"1"
    # The command's load of the order, then what the script reads: the receipt, the void mark,
    # the version (a client would take it from the load; kept so that the reads are the script's).
    reads = [["WATCH"] + keys, ["HGETALL", K[1]]]
    if uses_key:
        reads.append(["GET", K[2]])
    if K[3] != K[1]:
        reads.append(["EXISTS", K[3]])
    reads.append(["HGET", K[1], "version"])
    timers, pairs = int(A[5]), int(A[6])
    a = 7 + 2 * pairs
    events, traced = int(A[a]), int(A[a + 1])
    trace = A[a + 2:a + 2 + 2 * traced]
    a += 2 + 2 * traced
    first, last = 4 + events, len(keys) - timers
    reads += [["TYPE", K[k]] for k in list(range(5, 4 + events)) + list(range(first, len(keys) + 1))]
    writes = [["MULTI"]]
    for k in range(4, 4 + events):
        writes.append(["XADD", K[k], "*", "type", A[a], "orderId", A[a + 1], "at", A[a + 2], "data", A[a + 3]] + trace)
        a += 4
    writes.append(["HSET", K[1], "version", "1"] + A[7:7 + 2 * pairs])
    value = None
    for k in range(first, last + 1):
        if A[a + 1] == b"s":
            value = A[a + 2]
            writes.append(["HSET", K[k], A[a], value])
            a += 3
        else:
            writes.append(["HSET", K[k], A[a], value] if A[a + 1] == b"=" else ["HDEL", K[k], A[a]])
            a += 2
    for k in range(last + 1, len(keys) + 1):
        writes.append(["ZREM", K[k], A[a]] if A[a + 1] == b"r" else ["ZADD", K[k], A[a + 1], A[a]])
        a += 2
    if uses_key:
        writes.append(["SET", K[2], A[4], "PX", A[3]])
    return reads + writes + [["EXEC"]]


def pipe_commits(r, port, text, sha, form, order, call, n):
    """Redis CPU per commit (with its order's read) in `form`, n fresh orders through `redis-cli --pipe`."""
    body = "\n".join(line for line in text.split("\n") if not line.startswith("#!"))
    library = f"#!lua name=baedalreplay\nlocal function commit(KEYS, ARGV)\n{body}\nend\nredis.register_function('commit', commit)\n"
    keycount = int(call[2])
    stream = []
    for number in range(n):
        replay = [part.replace(order, b"o-%d" % number) for part in call]
        replay[3 + keycount] = b"0"
        keys, argv = replay[3:3 + keycount], replay[3 + keycount:]
        if form == "multi":
            stream += [resp(command) for command in transaction(keys, argv)]
        else:
            head = ["EVALSHA", sha] if form == "evalsha" else ["FCALL", "commit"]
            stream += [resp(["HGETALL", keys[0]]), resp(head + [str(keycount)] + keys + argv)]
    r.flushall()
    r.script_load(text)
    r.function_flush()
    r.function_load(library)
    r.config_resetstat()
    before = cpu(r)
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=b"".join(stream), check=True, stdout=subprocess.DEVNULL)
    spent = (cpu(r) - before) * 1e6 / n
    errors = r.info("errorstats")
    if errors:
        sys.exit(f"bench-replay: the {form} commits failed on replay: {errors}")
    # Every commit wrote its order (a script that answered duplicate, blocked or conflict wrote
    # nothing and would look cheap): the first and the last order's hash have version 1.
    aggregate = call[3]
    for number in (0, n - 1):
        if r.hget(aggregate.replace(order, b"o-%d" % number), "version") != b"1":
            sys.exit(f"bench-replay: the {form} replay of {aggregate.decode()} did not commit order {number}")
    return spent


def apply_once(r, text, call, policy, rounds):
    """One captured apply call replayed on a flushed Redis with its entries pending for its
    consumer; its own time (commandstats), best of `rounds`; with its entries and writes."""
    keys = int(call[2])
    argv = call[3 + keys:]
    group, consumer = argv[0], argv[1]
    streams, i, entries = [], 4, 0
    for _ in range(int(argv[3])):
        stream, n = call[3 + int(argv[i]) - 1], int(argv[i + 2])
        ids = argv[i + 3:i + 3 + n]
        effectful = int(argv[i + 3 + n])
        retried = int(argv[i + 4 + n + effectful])
        streams.append((stream, ids))
        entries += n
        i += 5 + n + effectful + retried
    writes = int(argv[i])
    best = None
    for _ in range(rounds):
        r.flushall()
        loaded = r.script_load(text)
        for stream, ids in streams:
            pipe = r.pipeline(transaction=False)
            for entry in ids:
                pipe.xadd(stream, {"type": "X", "data": "{}"}, id=entry)
            pipe.execute()
            r.xgroup_create(stream, group, id="0")
            r.xreadgroup(group, consumer, {stream: ">"}, count=1000000)
        before = r.info("commandstats").get("cmdstat_evalsha", {"usec": 0})["usec"]
        reply = r.execute_command("EVALSHA", loaded, *call[2:])
        spent = r.info("commandstats")["cmdstat_evalsha"]["usec"] - before
        if reply != [1]:
            sys.exit(f"bench-replay: a {policy} batch did not apply on replay: {reply}")
        best = spent if best is None else min(best, spent)
    return best, entries, writes


if __name__ == "__main__":
    main()
