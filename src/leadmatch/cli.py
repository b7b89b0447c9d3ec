"""The ``leadmatch`` command: a thin layer over the API for CSV files.

``leadmatch match``  match a leads file against accounts (CSV or a saved index), write results
``leadmatch index``  build an index from an accounts file and save it
``leadmatch demo``   match the bundled demo data and print a readable summary
"""

from __future__ import annotations

import argparse
import csv
import getpass
import html
import io
import json
import logging
import os
import sys
import tempfile
import time
import webbrowser
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadmatch import (
    AccountIndex,
    InvalidInputError,
    LabelBook,
    Labels,
    LeadmatchError,
    MatchConfig,
    MissingColumnError,
    __version__,
    coverage,
    evaluate,
    find_duplicate_accounts,
    fit,
    propose_accounts,
    rollup,
    truth_from_rows,
)
from leadmatch._util.processes import AUTO_WORKERS_MAX, shared_pool, tune_gc, usable_cores
from leadmatch._util.resources import demo_text
from leadmatch.accounts import PROPOSAL_COLUMNS, ROLLUP_COLUMNS, rollup_field_columns
from leadmatch.io import (
    DUPLICATE_TYPES,
    FORMATS,
    PROPOSAL_TYPES,
    RESULT_TYPES,
    ROLLUP_TYPES,
    header_key,
    label_book,
    open_rows,
    parse_map,
    read_csv,
    read_records,
    row_writer,
)
from leadmatch.match import OUTPUT_COLUMNS, field_columns, result_fields, result_row
from leadmatch.models import ACCOUNT_FIELDS, LEAD_FIELDS, Match
from leadmatch.review import REFIT_EVERY, ReviewServer, Session

__all__ = ["main"]

#: Leads matched per batch: large enough to amortize the vectorized passes, small enough that
#: memory stays flat however long the file is.
CHUNK = 20_000
#: With worker processes, smaller batches keep every worker busy from the start.
WORKER_CHUNK = 5_000


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _names(text: str) -> tuple[str, ...]:
    """A comma-separated list of column names."""
    names = tuple(name.strip() for name in text.split(","))
    if any(not name for name in names):
        raise argparse.ArgumentTypeError(f"expected names separated by commas, not {text!r}")
    return names


def _share(text: str) -> float:
    """A number strictly between 0 and 1 (a held-out share), or exactly 1 for a precision."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], not {text!r}")
    return value


_TRUTH_HELP = (
    "CSV with lead_id, true_account_id (empty: no account) and optionally "
    "acceptable_account_ids (';'-separated)"
)

#: An option of a subcommand: its flag and the keywords ``add_argument`` takes for it.
_Option = tuple[str, dict[str, Any]]


def _option(flag: str, **settings: Any) -> _Option:
    return flag, settings


def _account_fields(help: str) -> _Option:
    return _option("--account-fields", type=_names, default=(), metavar="A,B", help=help)


def _worker_count(text: str) -> int:
    """``auto``: the cores this process may use (see :func:`usable_cores`); else a number."""
    return usable_cores() if text == "auto" else _positive(text)


def _workers(help: str) -> _Option:
    return _option(
        "--workers", type=_worker_count, default="auto", metavar="N",
        help=f"{help}; default auto: the usable cores, at most {AUTO_WORKERS_MAX}; 1: one "
        "process (a small file always is)",
    )  # fmt: skip


# Options that several subcommands share, word for word.
_ACCOUNTS = _option("--accounts", required=True, help="accounts CSV or saved index")
_MATCHES = _option("--matches", required=True, help="results CSV of 'leadmatch match'")
_FORMAT = _option(
    "--format", choices=FORMATS, help="of --out: csv, jsonl or parquet (default: its extension)"
)
_LEVEL = _option("--level", choices=("account", "parent"), default="account")
_MAP = _option(
    "--map",
    action="append",
    default=[],
    metavar="COLUMN=FIELD",
    help="use a column of either file as a field (repeatable)",
)
_QUIET = _option("--quiet", action="store_true", help="no summary on stderr")


def _split_maps(pairs: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """--map pairs apply to whichever file has the column; fields decide lead vs account."""
    mapping = parse_map(pairs)
    leads = {c: f for c, f in mapping.items() if f in LEAD_FIELDS}
    accounts = {c: f for c, f in mapping.items() if f in ACCOUNT_FIELDS}
    return leads, accounts


def _load_accounts(
    path: str, maps: dict[str, str], config: MatchConfig, workers: int = 1
) -> tuple[AccountIndex, set[str]]:
    """The index, and the columns of the accounts file that --map pairs named."""
    if _is_index(path):
        return AccountIndex.load(path, config), set()
    with open_rows(path, "account", maps, keep=config.account_fields) as (mapping, rows):
        return AccountIndex.build(rows, config, workers=workers), set(mapping)


def _check_output_dir(path: str | None) -> None:
    """Fail before the work, not after it, when the output cannot be written."""
    if path and path != "-" and not Path(path).resolve().parent.is_dir():
        raise LeadmatchError(f"cannot write {path}: folder {Path(path).parent} does not exist")


def _is_index(path: str) -> bool:
    """A saved index (a zip file) whatever its name; a CSV never starts with the zip magic."""
    if Path(path).suffix.lower() == ".lmx":
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _check_maps(maps: Sequence[str], used: set[str]) -> None:
    found = {header_key(column) for column in used}
    unused = sorted(c for c in parse_map(maps) if header_key(c) not in found)
    if unused:
        raise MissingColumnError(f"--map names columns no input file has: {', '.join(unused)}")


def _named(
    rows: Iterator[dict[str, Any]], invented: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The rows, a row without a lead id named by its row number in the file (each such name
    also appended to ``invented``)."""
    for position, row in enumerate(rows, start=1):
        if not str(row.get("lead_id") or "").strip():
            row["lead_id"] = f"row-{position}"
            if invented is not None:
                invented.append(row["lead_id"])
        yield row


def _write_results(writer: Any, results: Sequence[Match]) -> None:
    for match in results:
        writer.writerow(result_row(match))


def _summary(counts: Counter[str], seconds: float) -> str:
    total = sum(counts.values())
    shown = ["matched", "review", "unmatched", "error"] + ["labelled"] * bool(counts["labelled"])
    parts = ", ".join(f"{counts[d]:,} {d}" for d in shown)
    rate = total / seconds if seconds > 0 else 0.0
    return f"{total:,} leads in {seconds:.1f} s ({rate:,.0f}/s): {parts}"


def _say_labels(book: LabelBook | None, path: str, index: AccountIndex) -> None:
    """How many answers a labels file has in force, and how many of them name an account the
    index does not hold (those are not applied)."""
    labels = book.labels if book else ()
    named = [label.account_id for label in labels if label.account_id]
    lost = len(named) - sum(index.view().holds(named))  # as with_labels will find them
    print(f"{len(labels):,} labels in force in {path}", file=sys.stderr)
    if lost:
        print(f"  {lost:,} name accounts the index does not hold: not applied", file=sys.stderr)


def _match(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    config = MatchConfig.from_json(Path(args.config)) if args.config else MatchConfig()
    if args.strict:
        config = config.model_copy(update={"strict": True})
    if args.account_fields:
        config = MatchConfig.model_validate(
            {**config.model_dump(), "account_fields": args.account_fields}
        )
    lead_maps, account_maps = _split_maps(args.map)
    _check_output_dir(args.out)
    labels = label_book(args.labels) if args.labels else None  # a mistyped path: before the work
    index, used = _load_accounts(args.accounts, account_maps, config, args.workers)
    if not args.quiet:
        print(f"indexed {index!r} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if args.labels:
            _say_labels(labels, args.labels, index)
    counts: Counter[str] = Counter()
    columns = [*OUTPUT_COLUMNS, *field_columns(index.config.account_fields)]
    with (
        open_rows(args.leads, "lead", lead_maps) as (mapping, rows),
        row_writer(args.out, columns, args.format, RESULT_TYPES) as writer,
    ):
        _check_maps(args.map, used | set(mapping))

        def progress(done: int) -> None:
            if not args.quiet and time.perf_counter() - started > 2:
                print(f"  {_summary(counts, time.perf_counter() - started)}", file=sys.stderr)

        rows_out = index.match_iter(
            _named(rows),
            chunk_size=CHUNK if args.workers == 1 else WORKER_CHUNK,
            progress=progress,
            workers=args.workers,
            rows=True,
            labels=labels,
        )
        for row in rows_out:
            writer.writerow(row)
            counts[row["decision"]] += 1
    if not args.quiet:
        print(_summary(counts, time.perf_counter() - started), file=sys.stderr)
    return 0


def _index(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _, account_maps = _split_maps(args.map)
    _check_output_dir(args.out)
    config = MatchConfig(strict=args.strict, account_fields=args.account_fields)
    index, used = _load_accounts(args.accounts, account_maps, config, args.workers)
    _check_maps(args.map, used)
    index.save(args.out)
    if not args.quiet:
        seconds = time.perf_counter() - started
        print(f"saved {index!r} to {args.out} in {seconds:.1f} s", file=sys.stderr)
    return 0


def _read_truth(path: str, required: bool = True) -> dict[str, frozenset[str]]:
    """A labelled leads file's truth (its lead columns are read by :func:`_leads_of`); ``{}``
    for a file without labels where they are not ``required``."""
    headers, rows = read_records(path)
    if "true_account_id" not in headers:
        if not required:
            return {}
        raise MissingColumnError(f"{path} has no true_account_id column")
    return truth_from_rows(list(rows))


def _leads_of(
    path: str, keep: Sequence[str] = (), invented: list[str] | None = None
) -> list[dict[str, Any]]:
    """A leads file's rows, each named (see :func:`_named`)."""
    return _mapped_leads(path, {}, keep, invented)[0]


def _mapped_leads(
    path: str, maps: dict[str, str], keep: Sequence[str] = (), invented: list[str] | None = None
) -> tuple[list[dict[str, Any]], set[str]]:
    """:func:`_leads_of` with --map pairs, and the columns of the file they named."""
    with open_rows(path, "lead", maps, keep=keep) as (mapping, rows):
        return list(_named(rows, invented)), set(mapping)


def _evaluate(args: argparse.Namespace) -> int:
    for path in (args.json, args.plots and str(Path(args.plots) / "x")):
        _check_output_dir(path)
    results = _matches_file(args.results, ("lead_id", "decision", "confidence"))
    truth = _read_truth(args.truth)
    index = None
    leads: list[dict[str, Any]] | None = None
    if args.accounts:
        index, _ = _load_accounts(args.accounts, {}, MatchConfig())
        leads = _leads_of(args.truth)
    figures = evaluate(results, truth, leads=leads, index=index)
    print(figures.summary())
    print()
    print(figures.reliability_table())
    if args.json:
        Path(args.json).write_text(json.dumps(figures.to_dict(), indent=2) + "\n", "utf-8")
    if args.plots:
        folder = Path(args.plots)
        figures.plot(str(folder / "pr_curve.png"), str(folder / "reliability.png"))
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return ""


def _field_weights(index: AccountIndex, results: Sequence[Any], field: str) -> dict[str, float]:
    """Per account a result names (its account or best candidate), the number its ``field``
    holds (1 where empty: a lead of an account without a figure counts as one lead)."""
    weights: dict[str, float] = {}
    for result in results:
        said = result_fields(result)
        account = said["account_id"] or said["candidate_id"]
        if account and account not in weights:
            value = index.account(account)["fields"].get(field, "").strip()
            try:
                weights[account] = float(value.replace(",", "")) if value else 1.0
            except ValueError as exc:
                raise InvalidInputError(
                    f"--weight-field {field}: account {account!r} holds {value!r}, not a number"
                ) from exc
    return weights


def _review(args: argparse.Namespace) -> int:
    labels = Labels(args.labels)
    with labels.writing() as write:  # a second reviewer on the file: LabelsInUseError, at once
        book = labels.book()
        held = tuple(dict.fromkeys([*args.account_fields, *filter(None, [args.weight_field])]))
        config = MatchConfig.from_json(Path(args.config)) if args.config else MatchConfig()
        config = MatchConfig.model_validate({**config.model_dump(), "account_fields": held})
        lead_maps, account_maps = _split_maps(args.map)
        index, used = _load_accounts(args.accounts, account_maps, config)
        invented: list[str] = []
        leads, mapped = _mapped_leads(args.leads, lead_maps, invented=invented)
        _check_maps(args.map, used | mapped)
        results: Sequence[Any] = (
            _matches_file(args.matches, ("lead_id", "decision", "confidence"))
            if args.matches
            else index.match_many(leads)
        )
        weights = _field_weights(index, results, args.weight_field) if args.weight_field else None
        session = Session(index, leads, results, write, labels=book, by=args.by,
                          bands=args.bands, audit=args.audit, weights=weights,
                          account_fields=args.account_fields, refit_every=args.refit_every,
                          unnamed=invented)  # fmt: skip
        _serve(ReviewServer(session, args.port), session, args)
    answered = session.state()["answered"]
    print(f"stopped: {answered:,} answers this session, each written to {args.labels} as it "
          "was given", file=sys.stderr)  # fmt: skip
    return 0


def _serve(server: ReviewServer, session: Session, args: argparse.Namespace) -> None:
    """Serve until Ctrl-C. The browser is sent to a file that only this user can read, which
    forwards it to the page: the token never shows in a process list."""
    print(f"{session.state()['left']:,} questions; answers go to {args.labels}; Ctrl-C stops",
          file=sys.stderr)  # fmt: skip
    print(f"review page: {server.url}", flush=True)
    opener = None
    if not args.no_browser and sys.stdout.isatty():
        fd, opener = tempfile.mkstemp(suffix=".html", prefix="leadmatch-review-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f'<meta http-equiv="refresh" content="0;url={html.escape(server.url)}">')
        webbrowser.open(Path(opener).as_uri())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if opener:
            Path(opener).unlink(missing_ok=True)


def _explain(args: argparse.Namespace) -> int:
    try:
        lead = json.loads(args.lead)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"--lead is not JSON: {exc}") from exc
    if not isinstance(lead, dict):
        raise InvalidInputError("--lead must be a JSON object of lead fields")
    labels = label_book(args.labels) if args.labels else None
    config = MatchConfig.from_json(Path(args.config)) if args.config else MatchConfig()
    index, _ = _load_accounts(args.accounts, {}, config)
    explained = index.explain(lead, labels=labels)
    print(json.dumps(explained.as_dict(), ensure_ascii=False, indent=1) if args.json
          else explained.report())  # fmt: skip
    return 0


def _fit(args: argparse.Namespace) -> int:
    _check_output_dir(args.out)
    config = MatchConfig.from_json(Path(args.config)) if args.config else MatchConfig()
    if not (args.leads or args.labels):
        raise InvalidInputError("give --leads (leads with their accounts), --labels, or both")
    labels = label_book(args.labels) if args.labels else None  # a mistyped path: before the work
    index, _ = _load_accounts(args.accounts, {}, config)
    leads = _leads_of(args.leads) if args.leads else []
    truth = _read_truth(args.leads, required=args.method == "labels") if args.leads else {}
    if labels is not None:
        print(f"{len(labels):,} labels in force in {args.labels}")
    result = fit(
        index, leads, truth, config, method=args.method, holdout=args.holdout, labels=labels
    )
    fitted = result.for_precision(args.precision) if args.precision else result.config
    fitted.to_json(args.out)
    print(result.report())
    print(f"wrote {args.out} (match_threshold {fitted.match_threshold:.3f}); use it with --config")
    return 0


def _matches_file(
    path: str, needs: tuple[str, ...] = ("lead_id", "account_id", "decision")
) -> list[dict[str, str]]:
    """The rows of a results file of 'leadmatch match', refused without the columns ``needs``."""
    headers, rows = read_records(path)
    missing = set(needs) - set(headers)
    if missing:
        raise MissingColumnError(
            f"{path} is not a results file: no {', '.join(sorted(missing))} column"
        )
    return list(rows)


def _rollup(args: argparse.Namespace) -> int:
    _check_output_dir(args.out)
    config = MatchConfig(account_fields=args.account_fields)
    index, _ = _load_accounts(args.accounts, {}, config)
    leads = None
    if args.leads:
        leads = _leads_of(args.leads, [args.date_column] if args.date_column else [])
    rows = rollup(
        _matches_file(args.matches), index, leads=leads, level=args.level,
        date_field=args.date_column,
    )  # fmt: skip
    columns = [*ROLLUP_COLUMNS, *rollup_field_columns(index.data.field_names)]
    with row_writer(args.out, columns, args.format, ROLLUP_TYPES) as writer:
        writer.writerows(rows)
    return 0


def _propose(args: argparse.Namespace) -> int:
    _check_output_dir(args.out)
    config = MatchConfig.from_json(Path(args.config)) if args.config else MatchConfig()
    leads = _leads_of(args.leads)
    proposals = propose_accounts(leads, _matches_file(args.matches), config)
    with row_writer(args.out, PROPOSAL_COLUMNS, args.format, PROPOSAL_TYPES) as writer:
        writer.writerows(p.row() for p in proposals)
    if not args.quiet:
        grouped = sum(len(p.lead_ids) for p in proposals)
        print(f"{len(proposals):,} proposed accounts from {grouped:,} unmatched leads",
              file=sys.stderr)  # fmt: skip
    return 0


def _coverage(args: argparse.Namespace) -> int:
    if args.out:
        _check_output_dir(args.out)
    index, _ = _load_accounts(args.accounts, {}, MatchConfig())
    headers, target_rows = read_records(args.targets)
    if "account_id" not in headers:
        raise MissingColumnError(f"{args.targets} has no account_id column")
    targets = list(target_rows)
    report = coverage(
        _matches_file(args.matches), index, targets, min_leads=args.min_leads, level=args.level
    )
    print(report.summary())
    if args.out:
        columns = ("kind", "account_id", "tier", "matched_leads")
        with row_writer(args.out, columns, args.format, {"matched_leads": "int64"}) as writer:
            writer.writerows(
                dict(zip(columns, ("uncovered target", a, t, ""))) for a, t in report.uncovered
            )
            writer.writerows(
                dict(zip(columns, ("engaged non-target", a, "", n)))
                for a, n in report.engaged_non_targets
            )
    return 0


#: Columns of the duplicate accounts file.
DUPLICATE_COLUMNS = ("group", "account_id", "survivor_id", "is_survivor", "reason")


def _dedupe(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _, account_maps = _split_maps(args.map)
    _check_output_dir(args.out)
    index, used = _load_accounts(args.accounts, account_maps, MatchConfig())
    _check_maps(args.map, used)
    groups = find_duplicate_accounts(index)
    with row_writer(args.out, DUPLICATE_COLUMNS, args.format, DUPLICATE_TYPES) as writer:
        for number, group in enumerate(groups, start=1):
            reason = "; ".join(group.reasons)
            for account_id in group.accounts:
                writer.writerow(
                    {"group": number, "account_id": account_id, "survivor_id": group.survivor,
                     "is_survivor": account_id == group.survivor, "reason": reason}
                )  # fmt: skip
    if not args.quiet:
        accounts = sum(len(g.accounts) for g in groups)
        print(
            f"{len(groups):,} groups of duplicate accounts ({accounts:,} accounts, "
            f"{accounts - len(groups):,} to merge) among {len(index):,}, in "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return 0


def _demo(args: argparse.Namespace) -> int:
    _check_output_dir(args.out)
    started = time.perf_counter()
    accounts_text, leads_text = demo_text("accounts.csv"), demo_text("leads.csv")
    _, account_rows = read_csv(io.StringIO(accounts_text), "account")
    index = AccountIndex.build(account_rows)
    lead_rows = list(csv.DictReader(io.StringIO(leads_text)))
    _, leads = read_csv(io.StringIO(leads_text), "lead")
    results = index.match_many(list(leads))
    seconds = time.perf_counter() - started
    quality = evaluate(results, truth_from_rows(lead_rows))
    by_id = {row["lead_id"]: row for row in lead_rows}

    print(
        f"leadmatch {__version__} demo: {len(index)} accounts, {len(results)} leads "
        f"from the bundled demo data, in {seconds:.2f} s\n"
    )
    print(_summary(Counter(m.decision for m in results), seconds))
    print(f"against the demo's answers:\n{quality.summary()}\n")
    print("A few results and why:")
    shown: set[str] = set()
    for match in results:
        kind = match.decision + (f"/{match.evidence[0].signal}" if match.evidence else "")
        if kind in shown or len(shown) >= 8:
            continue
        shown.add(kind)
        row = by_id.get(match.lead_id, {})
        print(
            f"- lead {match.lead_id}: company={row.get('company', '')!r} "
            f"email={row.get('email', '')!r} country={row.get('country', '')!r}"
        )
        print(
            f"  -> {match.decision} {match.account_id or '(none)'} "
            f"confidence {match.confidence:.3f}"
        )
        print(f"     {match.reasons()}")
    if args.out:
        with row_writer(args.out, OUTPUT_COLUMNS, types=RESULT_TYPES) as writer:
            _write_results(writer, results)
        print(f"\nwrote {len(results)} results to {args.out}")
    return 0  # fmt: skip


@dataclass(frozen=True)
class _Command:
    """A subcommand: its line in ``leadmatch --help``, its options (in the order its own
    ``--help`` lists them) and the function that runs it."""

    summary: str
    options: tuple[_Option, ...]
    run: Callable[[argparse.Namespace], int]


#: The subcommands, in the order ``leadmatch --help`` lists them.
_COMMANDS: dict[str, _Command] = {
    "match": _Command(
        "match a leads file against accounts",
        (
            _option(
                "--accounts",
                required=True,
                help="accounts file (CSV, JSON Lines, Parquet), or an index saved by "
                "'leadmatch index'",
            ),
            _option(
                "--leads",
                required=True,
                help="leads file: CSV, JSON Lines or Parquet ('-': stdin)",
            ),
            _option("--out", required=True, help="results file ('-' for standard output)"),
            _option("--config", help="MatchConfig as a JSON file"),
            _MAP,
            _account_fields(
                "account columns to copy into each result (owner_id,type); a saved index must "
                "hold them"
            ),
            _option("--strict", action="store_true", help="stop at the first unusable row"),
            _option(
                "--labels",
                help="labels file (JSON Lines, one answer per line; see docs/labels.md): a "
                "lead a label finds gets its label, decision 'labelled'",
            ),
            _FORMAT,
            _option("--quiet", action="store_true", help="no progress or summary on stderr"),
            _workers("match in N processes"),
        ),
        _match,
    ),
    "index": _Command(
        "build an account index and save it",
        (
            _QUIET,
            _option("--strict", action="store_true", help="stop at the first unusable account"),
            _option("--accounts", required=True, help="accounts file: CSV, JSON Lines or Parquet"),
            _option("--out", required=True, help="index file to write (e.g. accounts.lmx)"),
            _MAP,
            _account_fields(
                "extra account columns to keep in the index for results (owner_id,type)"
            ),
            _workers("normalize accounts in N processes"),
        ),
        _index,
    ),
    "evaluate": _Command(
        "measure results against known answers",
        (
            _option("--results", required=True, help="results CSV of 'leadmatch match'"),
            _option(
                "--truth",
                required=True,
                help=f"{_TRUTH_HELP}; its lead columns serve the breakdown",
            ),
            _option(
                "--accounts",
                help="accounts CSV or saved index: adds the breakdown of errors by cause",
            ),
            _option("--json", help="also write every figure to this JSON file"),
            _option(
                "--plots",
                help="folder for pr_curve.png and reliability.png (needs leadmatch[plots])",
            ),
        ),
        _evaluate,
    ),
    "fit": _Command(
        "fit and calibrate the confidence model to labelled leads",
        (
            _ACCOUNTS,
            _option(
                "--leads",
                help=f"labelled leads: {_TRUTH_HELP} (--method em: any leads, no labels needed)",
            ),
            _option(
                "--labels",
                help="labels file (JSON Lines, as leadmatch review writes it): people's answers, "
                "fitted on alone or with --leads (an answer replaces a lead's account)",
            ),
            _option("--out", required=True, help="MatchConfig JSON to write (for --config)"),
            _option("--config", help="MatchConfig JSON to start from (thresholds, limits)"),
            _option(
                "--method",
                choices=("labels", "em"),
                default="labels",
                help="weights from the labels (default), or from unlabelled leads by EM",
            ),
            _option(
                "--holdout", type=_share, default=0.5, help="share of leads kept to calibrate (0.5)"
            ),
            _option(
                "--precision",
                type=_share,
                help="set match_threshold for this precision on held-out leads",
            ),
        ),
        _fit,
    ),
    "rollup": _Command(
        "matched leads rolled up per account",
        (
            _ACCOUNTS,
            _MATCHES,
            _option("--out", required=True, help="rollup CSV ('-' for standard output)"),
            _option("--leads", help="the leads CSV: adds contacts, countries and dates"),
            _option("--date-column", help="lead column with a date (first and last lead)"),
            _LEVEL,
            _FORMAT,
            _account_fields("account columns to add to each row"),
        ),
        _rollup,
    ),
    "coverage": _Command(
        "how many target accounts the leads reached",
        (
            _ACCOUNTS,
            _MATCHES,
            _option("--targets", required=True, help="CSV with account_id and optionally tier"),
            _option("--min-leads", type=_positive, default=1, metavar="N"),
            _LEVEL,
            _FORMAT,
            _option("--out", help="CSV of the details: uncovered targets, engaged non-targets"),
        ),
        _coverage,
    ),
    "propose": _Command(
        "group unmatched leads into accounts to create",
        (
            _option("--leads", required=True, help="the leads CSV that was matched"),
            _MATCHES,
            _option("--out", required=True, help="proposed accounts CSV ('-': stdout)"),
            _option("--config", help="MatchConfig JSON (weights; match_threshold pairs)"),
            _QUIET,
            _FORMAT,
        ),
        _propose,
    ),
    "dedupe-accounts": _Command(
        "find accounts that are the same company",
        (
            _ACCOUNTS,
            _option("--out", required=True, help="CSV of the groups ('-' for standard output)"),
            _MAP,
            _QUIET,
            _FORMAT,
        ),
        _dedupe,
    ),
    "review": _Command(
        "serve the review page: the uncertain leads, most useful first, answers kept as labels",
        (
            _ACCOUNTS,
            _option("--leads", required=True, help="the leads matched (CSV, JSONL, Parquet)"),
            _option("--matches", help="their results from 'leadmatch match' (default: match now)"),
            _option("--labels", required=True, help="labels file the answers are appended to"),
            _option("--config", help="MatchConfig JSON the matches were made with (--config)"),
            _MAP,
            _option("--by", default=_user(), help="reviewer name written with each answer"),
            _option(
                "--bands",
                type=_names,
                default=("review",),
                metavar="A,B",
                help="what the queue holds: review (default), unmatched (with a candidate)",
            ),
            _option("--audit", type=int, default=0, metavar="N", help="also N matched leads"),
            _account_fields("account columns shown beside each candidate (owner,type)"),
            _option(
                "--weight-field",
                metavar="FIELD",
                help="an account column of numbers (deal size, a 5 for target accounts): a "
                "lead counts that many times when ranking the questions",
            ),
            _option(
                "--refit-every",
                type=int,
                default=REFIT_EVERY,
                metavar="N",
                help=f"fit the model on the answers every N of them and show what it would "
                f"change (default {REFIT_EVERY}; 0: never)",
            ),
            _option("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)"),
            _option("--no-browser", action="store_true", help="print the address only"),
        ),
        _review,
    ),
    "explain": _Command(
        "show why one lead gets its result: every candidate and what each signal gave it",
        (
            _ACCOUNTS,
            _option(
                "--lead",
                required=True,
                help='the lead as JSON: \'{"email": "j.doe@acme.com", "company": "Acme"}\'',
            ),
            _option("--config", help="MatchConfig JSON (as --config of match)"),
            _option("--labels", help="labels file: a label that finds the lead wins"),
            _option("--json", action="store_true", help="print the explanation as JSON"),
        ),
        _explain,
    ),
    "demo": _Command(
        "match the bundled demo data and print a summary",
        (_option("--out", help="also write the demo results to this CSV"),),
        _demo,
    ),
}


def _parser() -> argparse.ArgumentParser:
    """The command line, built from :data:`_COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="leadmatch", description="Tie B2B leads to the CRM accounts they belong to."
    )
    parser.add_argument("--version", action="version", version=f"leadmatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, command in _COMMANDS.items():
        options = sub.add_parser(name, help=command.summary)
        for flag, settings in command.options:
            options.add_argument(flag, **settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leadmatch`` console script."""
    args = _parser().parse_args(argv)
    tune_gc()
    logging.basicConfig(level=logging.WARNING, format="leadmatch: %(message)s")
    try:
        # A one shot builds in workers, then matches in workers: the same ones.
        with shared_pool(getattr(args, "workers", 1)):
            return _COMMANDS[args.command].run(args)
    except BrokenPipeError:  # `leadmatch match --out - | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except LeadmatchError as exc:
        print(f"leadmatch: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"leadmatch: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
