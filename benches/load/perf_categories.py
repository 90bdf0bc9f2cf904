#!/usr/bin/env python3
"""Splits a perf profile's samples by kind of work, as docs/benchmarks.md reports them.

    perf record -F 1999 --call-graph dwarf,16384 -p SERVER_PID -o perf.data -- sleep 10
    perf script -i perf.data -F comm,tid,ip,sym | python3 benches/load/perf_categories.py

Each sample counts once, under the first kind (in the order below) that any frame of its
stack matches; a sample matching none is "everything else".
"""

import re
import sys
from collections import Counter

KINDS = [
    ("ES256 signing", r"SigningKeys::sign|aws_lc|ecp_nistz"),
    ("logging", r"tracing_subscriber"),
    ("SQLite's engine and its file I/O",
     r"sqlite3|^wal|pcache|^pager|unixShm|unixLock|unixRead|unixWrite"),
    ("threads sleeping and waking (futex, epoll, context switches)",
     r"futex|finish_task_switch|__schedule|epoll_wait|park|"
     r"_raw_spin_unlock_irqrestore|try_to_wake_up"),
    ("TCP send and receive",
     r"writev|sendmsg|recvfrom|tcp_|sock_read|sock_write|sys_read|sys_write|net_rx|softirq"),
    ("allocation", r"malloc|free|realloc|_int_"),
    ("sqlx's pool and channels", r"sqlx|flume"),
    ("HTTP (hyper)", r"hyper"),
]


def samples(lines):
    """Yields each sample's frames, innermost first, from `perf script` output."""
    frames = None
    for line in lines:
        if not line.strip():
            if frames is not None:
                yield frames
            frames = None
        elif not line[0].isspace():
            frames = []
        elif frames is not None:
            parts = line.split(None, 1)
            frames.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1].strip()) if len(parts) > 1 else "?")
    if frames is not None:
        yield frames


def main():
    kinds = [(name, re.compile(pattern)) for name, pattern in KINDS]
    counts = Counter()
    total = 0
    for frames in samples(sys.stdin):
        total += 1
        kind = next(
            (name for name, pattern in kinds if any(pattern.search(f) for f in frames)),
            "everything else",
        )
        counts[kind] += 1
    for kind, count in counts.most_common():
        print(f"{100 * count / total:5.1f} %  {kind}")
    print(f"{total} samples")


if __name__ == "__main__":
    main()
