"""``python -m bench`` (``make bench``): run the benchmark suite, print the tables and
refresh bench/RESULTS.md. ``--quick`` for a short run, ``--only tcp,ws,mem,big`` for some.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from datetime import UTC, datetime

from bench import big_bench, build, core_bench, instruments_bench, mem_bench, tcp_bench, ws_bench
from bench.procs import BenchError, raise_nofile
from bench.report import RESULTS, Section, machine, write_results

BENCHES = {"tcp": tcp_bench, "ws": ws_bench, "mem": mem_bench, "big": big_bench,
           "inst": instruments_bench, "core": core_bench}


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true",
                    help="short runs (about 1–2 minutes in all) instead of about 8")
    ap.add_argument("--only", default="tcp,ws,mem,big,inst,core",
                    help="comma-separated sections: tcp, ws, mem, big, inst, core (default: "
                         "all)")
    ap.add_argument("--rounds", type=int, help="rounds per shape (default 5, --quick 3)")
    ap.add_argument("--duration", type=float, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, help="warm-up seconds before each measured run")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.sections if s not in BENCHES]
    if unknown:
        ap.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    args.rounds = args.rounds or (3 if args.quick else 5)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    args.duration = args.duration or (0.8 if args.quick else 2.0)
    args.warmup = args.warmup if args.warmup is not None else (0.2 if args.quick else 0.5)
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # SIGTERM ends the run like Ctrl-C does, so every server is stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    soft, _ = raise_nofile()
    command = "make bench" + (f" ARGS={shlex.quote(' '.join(argv))}" if argv else "")
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.monotonic()
    print(f"{command}: sections {', '.join(args.sections)}; {args.rounds} rounds × "
          f"{args.duration:g} s; RLIMIT_NOFILE {soft}", flush=True)
    sections: list[Section] = []
    failed = False
    try:
        for key in args.sections:
            print(f"\n== {key} ==", flush=True)
            t = time.monotonic()
            try:
                section = BENCHES[key].run(args)
            except BenchError as exc:
                failed = True
                section = Section(key, BENCHES[key].TITLE, body=f"Could not run: {exc}")
                print(f"  could not run: {exc}", flush=True)
            section.notes.append(f"section took {time.monotonic() - t:.0f} s")
            sections.append(section)
            print("\n" + section.markdown(command, date), flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped; RESULTS.md left as it was", file=sys.stderr)
        return 130
    if not args.no_write and sections:
        write_results(sections, command, date, machine(build.tool_versions()))
        print(f"wrote {RESULTS.relative_to(RESULTS.parents[1])}", flush=True)
    missed = [t for s in sections for t in s.targets if t.met is False]
    unmeasured = [t for s in sections for t in s.targets if t.met is None]
    print(f"\ndone in {time.monotonic() - t0:.0f} s: "
          f"{sum(t.met is True for s in sections for t in s.targets)} targets met, "
          f"{len(missed)} missed, {len(unmeasured)} not measured", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
