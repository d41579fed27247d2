"""SQL fingerprint throughput: ``fingerprint()`` against ``pt-fingerprint``, as ratios from one run.

    python bench/bench_fingerprint.py [--cold 100000] [--stream 1000000] [--shapes 300]
                                      [--rounds 3] [--seed 1] [--json out.json]

Three generated corpora of short MySQL statements (Django ORM and hand-written shapes); each
tool gets the SAME statements:

- ``cold``: ``--cold`` distinct statements: table names, column names and literals all vary,
  so no statement repeats and the LRU cache of ``fingerprint()`` never hits;
- ``placeholders``: ``--stream`` statements drawn from ``--shapes`` shapes with a skewed
  (1/rank) popularity, as Django + PyMySQL record them in ``db.statement``: values are passed
  as parameters, so the text repeats (``IN`` lists still vary in length);
- ``literals``: the same stream with the values inlined, as raw SQL or a slow log has them.

``pt-fingerprint --match-embedded-numbers FILE`` (percona-toolkit, Perl) reads each corpus from a
file in its documented input format (statements separated by ``;\\n``) and writes one
fingerprint per line to a file. Its Perl start-up is timed on a one-statement file and
subtracted for the corrected rate. ``fingerprint()`` runs in this process over the statements
held in a list, one call each. Every run is timed by wall clock and by CPU time (the child's
rusage for pt-fingerprint, ``process_time`` for ours); the verdicts use CPU time, which other
work on a shared machine disturbs less. Arms are interleaved within every round (order
rotating); medians over rounds are reported, with ratios of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from e2e_otel.sql import fingerprint as fingerprint_module
from e2e_otel.sql.fingerprint import fingerprint

CORPORA = ("cold", "placeholders", "literals")
STARTUP_SAMPLES = 5
# The issue's targets: ours / pt-fingerprint on distinct statements and on an app's stream.
TARGETS = {"cold": 1.0, "placeholders": 20.0, "literals": 20.0}
WORDS = (
    "user", "order", "item", "product", "review", "cart", "session", "invoice", "payment",
    "address", "stock", "price", "event", "page", "account", "ticket", "note", "tag",
)  # fmt: skip
STRINGS = ("alice", "Bob", "x@example.com", "2024-05-01", "SKU-00042", "naïve café", "")

Literal = Callable[[str], str]
# Each shape renders a table, four columns and a source of literals (or placeholders).
TEMPLATES: tuple[Callable[[str, Sequence[str], Literal], str], ...] = (
    lambda t, c, v: (
        f"SELECT `{t}`.`id`, `{t}`.`{c[0]}`, `{t}`.`{c[1]}` FROM `{t}` "
        f"WHERE `{t}`.`{c[2]}` = {v('s')} LIMIT 21"
    ),
    lambda t, c, v: f"SELECT `{t}`.`id`, `{t}`.`{c[0]}` FROM `{t}` WHERE `{t}`.`id` IN ({v('in')})",
    lambda t, c, v: (
        f"INSERT INTO `{t}` (`{c[0]}`, `{c[1]}`, `{c[2]}`) VALUES ({v('s')}, {v('i')}, {v('d')})"
    ),
    lambda t, c, v: (
        f"UPDATE `{t}` SET `{c[0]}` = {v('s')}, `{c[1]}` = {v('f')} WHERE `id` = {v('i')}"
    ),
    lambda t, c, v: f"DELETE FROM `{t}` WHERE `{t}`.`{c[0]}` < {v('d')}",
    lambda t, c, v: (
        f"SELECT COUNT(*) AS `__count` FROM `{t}` "
        f"WHERE (`{t}`.`{c[0]}` = {v('i')} AND `{t}`.`{c[1]}` IS NULL)"
    ),
    lambda t, c, v: (
        f"select {c[0]}, sum({c[1]}) from {t} where {c[2]} between {v('i')} and {v('i')} "
        f"group by {c[0]} order by {c[0]} asc limit {v('i')}"
    ),
    lambda t, c, v: (
        f"SELECT `{t}`.`id` FROM `{t}` WHERE `{t}`.`{c[3]}` LIKE {v('s')} "
        f"ORDER BY `{t}`.`{c[1]}` DESC LIMIT {v('i')} OFFSET {v('i')}"
    ),
)
Shape = tuple[int, str, tuple[str, ...]]


class Timing(NamedTuple):
    """Seconds of one arm run: wall clock, and CPU of the process doing the work."""

    wall: float
    cpu: float


class Corpus:
    """Seeded statements: random shapes, and literal values in the forms MySQL accepts."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def literal(self, kind: str) -> str:
        r = self.rng
        if kind == "s":
            return f"'{r.choice(STRINGS)}{r.randint(0, 99_999)}'"
        if kind == "f":
            return f"{r.randint(0, 9999)}.{r.randint(0, 99):02d}"
        if kind == "d":
            return f"'2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} 10:00:00'"
        if kind == "in":
            return ", ".join(str(r.randint(1, 10**6)) for _ in range(r.randint(1, 8)))
        return str(r.randint(-99, 10**6))

    def placeholder(self, kind: str) -> str:
        # Django expands a list parameter into one %s per item.
        return ", ".join(["%s"] * self.rng.randint(1, 8)) if kind == "in" else "%s"

    def shape(self) -> Shape:
        r = self.rng
        table = f"{r.choice(WORDS)}_{r.randint(0, 99)}"
        columns = tuple(f"{r.choice(WORDS)}_{r.randint(1, 30)}" for _ in range(4))
        return r.randrange(len(TEMPLATES)), table, columns

    def render(self, shape: Shape, inline: bool) -> str:
        template, table, columns = shape
        return TEMPLATES[template](table, columns, self.literal if inline else self.placeholder)

    def cold(self, count: int) -> list[str]:
        seen: dict[str, None] = {}
        while len(seen) < count:
            seen[self.render(self.shape(), inline=True)] = None
        return list(seen)

    def stream(self, count: int, shapes: int, inline: bool) -> list[str]:
        pool = [self.shape() for _ in range(shapes)]
        drawn = self.rng.choices(pool, weights=[1 / rank for rank in range(1, shapes + 1)], k=count)
        return [self.render(shape, inline) for shape in drawn]


def write_input(path: Path, statements: Sequence[str]) -> None:
    """pt-fingerprint's file format: statements separated by ';' + newline."""
    path.write_text("".join(f"{s};\n" for s in statements), encoding="utf-8")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pt(executable: str, source: Path, output: Path) -> Timing:
    """One pt-fingerprint run over ``source``, its output written to a file."""
    with output.open("wb") as sink:
        cpu, started = children_cpu(), time.perf_counter()
        subprocess.run(
            [executable, "--match-embedded-numbers", str(source)], stdout=sink, check=True
        )
        return Timing(time.perf_counter() - started, children_cpu() - cpu)


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def cache_counts() -> tuple[int, int]:
    # The LRU behind fingerprint() is private; read only to report what the cache did.
    info = fingerprint_module._fingerprint_and_id_cached.cache_info()
    return info.hits, info.misses


def run_ours(statements: Sequence[str]) -> tuple[Timing, int, int]:
    """One fingerprint() call per statement; also the cache hits and misses."""
    hits, misses = cache_counts()
    fp = fingerprint
    cpu, started = time.process_time(), time.perf_counter()
    for statement in statements:
        fp(statement)
    timing = Timing(time.perf_counter() - started, time.process_time() - cpu)
    after_hits, after_misses = cache_counts()
    return timing, after_hits - hits, after_misses - misses


def agreement(statements: Sequence[str], pt_output: Path) -> dict[str, float]:
    """How far both tools did the same work: identical texts, and the number of groups."""
    theirs = pt_output.read_text(encoding="utf-8").splitlines()
    ours = [fingerprint(s) for s in statements]
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    return {
        "identical_pct": 100 * same / len(statements),
        "groups_ours": len(set(ours)),
        "groups_pt": len(set(theirs)),
    }


@dataclass
class Runs:
    """Wall seconds per tool and corpus over the rounds, plus what our cache did."""

    pt: dict[str, list[Timing]] = field(default_factory=dict)
    ours: dict[str, list[Timing]] = field(default_factory=dict)
    cache: dict[str, tuple[int, int]] = field(default_factory=dict)  # (hits, misses), last round
    agreement: dict[str, float] = field(default_factory=dict)


def measure(executable: str, corpora: dict[str, list[str]], rounds: int) -> Runs:
    runs = Runs({name: [] for name in ("startup", *CORPORA)}, {name: [] for name in CORPORA})
    with tempfile.TemporaryDirectory(prefix="bench-fingerprint-") as tmp:
        files = {name: Path(tmp, f"{name}.sql") for name in ("startup", *CORPORA)}
        write_input(files["startup"], corpora["cold"][:1])
        for name in CORPORA:
            write_input(files[name], corpora[name])
        output = Path(tmp, "out.txt")
        arms = [("pt", name) for name in ("startup", *CORPORA)]
        arms += [("ours", name) for name in CORPORA]
        sizes = ", ".join(
            f"{name} {len(corpora[name]):,} statements ({files[name].stat().st_size / 1e6:.0f} MB)"
            for name in CORPORA
        )
        print(f"# bench_fingerprint: {rounds} rounds; {sizes}")
        for round_number in range(rounds):
            shift = round_number % len(arms)
            for tool, name in arms[shift:] + arms[:shift]:
                if tool == "pt":
                    # Start-up is short and jittery: a few samples per round.
                    for _ in range(STARTUP_SAMPLES if name == "startup" else 1):
                        runs.pt[name].append(run_pt(executable, files[name], output))
                    lines = count_lines(output)
                    expected = 1 if name == "startup" else len(corpora[name])
                    assert lines == expected, f"pt-fingerprint printed {lines} of {expected}"
                    timing = runs.pt[name][-1]
                else:
                    timing, hits, misses = run_ours(corpora[name])
                    runs.ours[name].append(timing)
                    runs.cache[name] = (hits, misses)
                print(
                    f"  round {round_number + 1} {tool:<4} {name:<12} {timing.wall:7.2f} s wall"
                    f" {timing.cpu:7.2f} s CPU"
                )
        run_pt(executable, files["cold"], output)
        runs.agreement = agreement(corpora["cold"], output)
    return runs


def median(runs: Sequence[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in runs), statistics.median(t.cpu for t in runs))


def rates(count: int, runs: Sequence[Timing], startup: Timing) -> dict[str, float]:
    """Statements per second from the median run, raw and with ``startup`` subtracted."""
    wall, cpu = median(runs)
    return {
        "wall_per_s": count / wall,
        "cpu_per_s": count / cpu,
        "wall_corrected_per_s": count / max(wall - startup.wall, 1e-9),
        "cpu_corrected_per_s": count / max(cpu - startup.cpu, 1e-9),
    }


def summarize(corpora: dict[str, list[str]], runs: Runs) -> dict[str, Any]:
    """Print the table of medians and ratios; return the same figures for --json."""
    startup = median(runs.pt["startup"])
    print(
        f"\npt-fingerprint start-up (one statement, median): {startup.wall * 1000:.0f} ms wall, "
        f"{startup.cpu * 1000:.0f} ms CPU"
    )
    print(
        "\nstatements/s from CPU time (wall-clock ratios in the last column but one)\n"
        "\n| corpus | statements | pt raw | pt start-up corrected | ours | ours cache hits "
        "| ours / pt raw | ours / pt corrected | same, wall clock | target | met |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    summary: dict[str, Any] = {"pt_startup": startup._asdict()}
    for name in CORPORA:
        count = len(corpora[name])
        pt = rates(count, runs.pt[name], startup)
        ours = rates(count, runs.ours[name], Timing(0.0, 0.0))
        hits, misses = runs.cache[name]
        ratio = ours["cpu_per_s"] / pt["cpu_corrected_per_s"]
        wall_ratio = ours["wall_per_s"] / pt["wall_corrected_per_s"]
        row = summary[name] = {
            "statements": count,
            "distinct": len(set(corpora[name])),
            "pt_runs": [t._asdict() for t in runs.pt[name]],
            "ours_runs": [t._asdict() for t in runs.ours[name]],
            "pt": pt,
            "ours": {"wall_per_s": ours["wall_per_s"], "cpu_per_s": ours["cpu_per_s"]},
            "cache_hit_pct": 100 * hits / (hits + misses),
            "ratio_raw": ours["cpu_per_s"] / pt["cpu_per_s"],
            "ratio_corrected": ratio,
            "ratio_corrected_wall": wall_ratio,
            "target": TARGETS[name],
            "met": ratio >= TARGETS[name],
        }
        print(
            f"| {name} | {count:,} ({row['distinct']:,} distinct) | {pt['cpu_per_s']:,.0f} "
            f"| {pt['cpu_corrected_per_s']:,.0f} | {ours['cpu_per_s']:,.0f} "
            f"| {row['cache_hit_pct']:.1f} % | {row['ratio_raw']:.2f}x | {ratio:.2f}x "
            f"| {wall_ratio:.2f}x | >= {TARGETS[name]:g}x | {'yes' if row['met'] else 'NO'} |"
        )
    summary["cold_agreement"] = check = runs.agreement
    print(
        f"\ncold corpus: identical fingerprint text for {check['identical_pct']:.2f} % of "
        f"statements; {check['groups_ours']:,} groups ours, {check['groups_pt']:,} pt-fingerprint"
    )
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", type=int, default=100_000, help="distinct statements")
    parser.add_argument("--stream", type=int, default=1_000_000, help="statements per stream")
    parser.add_argument("--shapes", type=int, default=300, help="statement shapes in the stream")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    executable = shutil.which("pt-fingerprint")
    if executable is None:
        parser.error("pt-fingerprint not found: apt-get install percona-toolkit")
    gen = Corpus(args.seed)
    corpora = {
        "cold": gen.cold(args.cold),
        "placeholders": gen.stream(args.stream, args.shapes, inline=False),
        "literals": gen.stream(args.stream, args.shapes, inline=True),
    }
    summary = summarize(corpora, measure(executable, corpora, args.rounds))
    if args.json:
        version = subprocess.run([executable, "--version"], capture_output=True, text=True)
        machine = {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "pt_fingerprint": version.stdout.strip(),
        }
        settings = vars(args) | {"json": str(args.json)}
        document = {"machine": machine, "settings": settings, **summary}
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
