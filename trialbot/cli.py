"""The ``trialbot`` command: index, ask, screen, eval, run and navigator."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from knowledge.errors import KnowledgeError
from trialbot.settings import KnowledgeSettings, RunSettings


def _cmd_index(args: argparse.Namespace) -> int:
    from knowledge.build import build_index

    logging.getLogger("knowledge").setLevel(logging.INFO)  # progress of the fine-tuning, which takes minutes
    report = build_index(KnowledgeSettings(), extra_sources=[Path(p) for p in args.source], force=args.force)
    for line in report.skipped:
        print(f"skipped {line}", file=sys.stderr)
    if report.rebuilt:
        print(f"Index built: {report.document_count} documents, {report.chunk_count} chunks "
              f"in {report.seconds:.1f} s.")
    else:
        print(f"Index is up to date ({report.document_count} documents); nothing to do.")
    return 1 if report.skipped and args.strict else 0


def _cmd_ask(args: argparse.Namespace) -> int:
    from knowledge.retriever import Retriever

    retriever = Retriever.from_settings(KnowledgeSettings())
    if args.json:
        for line in sys.stdin:
            question = line.rstrip("\n")
            print(json.dumps(retriever.ask(question).to_dict(), ensure_ascii=False), flush=True)
        return 0
    question = " ".join(args.question) if args.question else sys.stdin.read()
    answer = retriever.ask(question)
    print(answer.answer)
    return 0


def _cmd_screen(args: argparse.Namespace) -> int:
    from actions.eligibility.cli import default_criteria_path, run_screen_json

    if not args.json:
        print("trialbot screen reads JSON facts per line; use --json", file=sys.stderr)
        return 2
    path = Path(args.criteria) if args.criteria else default_criteria_path(args.trial)
    return run_screen_json(sys.stdin, sys.stdout, path)


# Benchmarks against real servers, each with its own options (after "--"): reports in evaluation/reports/.
BENCHMARKS = {"reliability": "evaluation.reliability", "handoff": "evaluation.handoff_benchmark",
              "scale": "evaluation.scale_benchmark"}


def _cmd_eval(args: argparse.Namespace) -> int:
    if args.what == "retrieval":
        from evaluation.retrieval import run_retrieval_evaluation

        return run_retrieval_evaluation(KnowledgeSettings(), calibrate=args.calibrate)
    if args.what in BENCHMARKS:
        import importlib

        return importlib.import_module(BENCHMARKS[args.what]).main(args.options)
    if args.what == "safety":
        from evaluation.safety import run_safety_evaluation

        return run_safety_evaluation()
    if args.what == "latency":
        from evaluation.turn_latency import run_latency_benchmark

        return run_latency_benchmark()
    from evaluation.prescreen import main as run_prescreen_evaluation

    code = run_prescreen_evaluation([])
    if args.conversations:
        from evaluation.prescreen_conversations import run_conversation_evaluation, write_conversation_report

        results = run_conversation_evaluation()
        path = write_conversation_report(results)
        print(f"{results['correct']}/{results['total']} conversations right, {results['completed']} completed; "
              f"report: {path}")
        code = code or int(results["correct"] != results["total"])
    return code


def _cmd_purge(args: argparse.Namespace) -> int:
    from cases.store import CaseStore
    from privacy.retention import purge_expired
    from privacy.tracker_erasure import TrackerStoreEraser
    from trialbot.settings import PrivacySettings

    settings = PrivacySettings()
    days = args.older_than_days if args.older_than_days is not None else settings.retention_days
    if days < 1:
        print("trialbot purge: the retention period must be at least one day", file=sys.stderr)
        return 2
    cases, trackers = CaseStore.from_url(settings.database_url), TrackerStoreEraser.from_url(
        settings.tracker_database_url())
    try:
        report = purge_expired(cases, trackers, days, dry_run=args.dry_run)
    finally:
        cases.dispose()
        trackers.dispose()
    verb = "would erase" if args.dry_run else "erased"
    print(f"{verb}: {report.conversations} conversations ({report.tracker_events} events) and "
          f"{len(report.case_references)} cases last active before {report.cutoff:%Y-%m-%d %H:%M} UTC")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from trialbot.runner import run_stack

    overrides = {"web_port": args.port} if args.port else {}
    return run_stack(RunSettings(**overrides))


def _read_password(confirm: bool) -> str | None:
    """The new password: typed twice without echo at a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Repeat the password: ") != first:
            print("trialbot navigator: the passwords differ", file=sys.stderr)
            return None
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _cmd_navigator(args: argparse.Namespace) -> int:
    from cases.store import CaseStore, NavigatorExists, WeakPassword, check_password
    from trialbot.settings import CaseSettings

    if args.action == "add":
        import re

        from cases.schemas import TRIAL_PATTERN, USERNAME_PATTERN

        if not re.fullmatch(USERNAME_PATTERN, args.name):
            print("trialbot navigator: a username is 2-64 characters: lower-case letters, digits, . _ -",
                  file=sys.stderr)
            return 2
        bad = [t for t in args.trials if not re.fullmatch(TRIAL_PATTERN, t)]
        if bad or not args.trials:
            print(f"trialbot navigator: not a trial id: {', '.join(bad) or '(none given)'}", file=sys.stderr)
            return 2
        password = _read_password(confirm=True)
        if password is None:
            return 2
        try:
            check_password(password)
        except WeakPassword as exc:
            print(f"trialbot navigator: {exc}", file=sys.stderr)
            return 2
        store = CaseStore.from_settings(CaseSettings())
        try:
            navigator = store.add_navigator(args.name, password, args.trials)
        except NavigatorExists as exc:
            print(f"trialbot navigator: {exc}", file=sys.stderr)
            return 1
        finally:
            store.dispose()
        print(f"navigator {navigator.username} added for {', '.join(navigator.trials)}")
        return 0
    store = CaseStore.from_settings(CaseSettings())
    try:
        for navigator in store.list_navigators():
            print(f"{navigator.username}\t{','.join(navigator.trials)}\t{navigator.created_at:%Y-%m-%d}")
    finally:
        store.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trialbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="build the knowledge index if documents or settings changed")
    index.add_argument("--source", nargs="*", default=[], metavar="PATH", help="extra documents to add")
    index.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    index.add_argument("--strict", action="store_true", help="exit non-zero when a source was skipped")
    index.set_defaults(func=_cmd_index)

    ask = sub.add_parser("ask", help="answer questions from the trial documents")
    ask.add_argument("--json", action="store_true", help="one question per stdin line, one JSON per line out")
    ask.add_argument("question", nargs="*")
    ask.set_defaults(func=_cmd_ask)

    screen = sub.add_parser("screen", help="run the eligibility engine on JSON facts (one object per line)")
    screen.add_argument("--json", action="store_true")
    screen.add_argument("--trial", default="NCT07520357")
    screen.add_argument("--criteria", default=None, help="a criteria YAML file (default: the trial's)")
    screen.set_defaults(func=_cmd_screen)

    evaluate = sub.add_parser("eval", help="run an evaluation and write its report")
    evaluate.add_argument("what", choices=["retrieval", "prescreen", "latency", "safety", *BENCHMARKS])
    evaluate.add_argument("--calibrate", action="store_true",
                          help="retrieval: set the refusal thresholds on the evaluation data and save them")
    evaluate.add_argument("--conversations", action="store_true",
                          help="prescreen: also drive whole conversations through the running bot")
    evaluate.set_defaults(func=_cmd_eval, options=[])  # a benchmark's own options follow "--" (e.g. -- --quick)

    run = sub.add_parser("run", help="start the action server, Rasa server and web service")
    run.add_argument("--port", type=int, default=None, help="web service port (default 8000)")
    run.set_defaults(func=_cmd_run)

    purge = sub.add_parser("purge", help="erase conversations and cases older than the retention period")
    purge.add_argument("--older-than-days", type=int, default=None,
                       help="retention period in days (default: TRIALBOT_RETENTION_DAYS, 180)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    purge.set_defaults(func=_cmd_purge)

    navigator = sub.add_parser("navigator", help="console accounts for patient navigators")
    nav_sub = navigator.add_subparsers(dest="action", required=True)
    nav_add = nav_sub.add_parser("add", help="add a navigator; the password is read from stdin (never echoed)")
    nav_add.add_argument("name", help="username: lower-case letters, digits, . _ -")
    nav_add.add_argument("--trials", nargs="+", default=["NCT07520357"], metavar="TRIAL",
                         help="trial ids whose cases this navigator may see (default NCT07520357)")
    nav_sub.add_parser("list", help="list navigators and their trials")
    navigator.set_defaults(func=_cmd_navigator)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    options = argv[argv.index("--") + 1:] if "--" in argv else []
    args = build_parser().parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if options:
        args.options = options
    try:
        return int(args.func(args) or 0)
    except KnowledgeError as exc:
        print(f"trialbot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
