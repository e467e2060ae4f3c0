"""The ``naef`` command: thin argument handling over the library.

Exit codes: 0 success, 2 bad input (one line naming the file and the field), 1 a failure of the
program itself.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .analysis.sensitivity import DEFAULT_OUTPUTS
from .outputs import format_value, sector_output
from .outputs import output as catalogue_entry
from .run.results import is_complete_run, os_error_text, prepare_output_folder, remove_leftovers
from .run.sweep import collect_jobs, expand_sweep, is_sweep_file, safe_run_name
from .scenario import (
    InputError,
    Scenario,
    ScenarioError,
    iter_fields,
    load_scenario,
    parse_override,
    read_yaml,
)
from .scenario.errors import describe
from .version import __version__

__all__ = ["app_command", "main", "run_folder_name"]


run_folder_name = safe_run_name


def _overrides(items: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or ():
        key, value = parse_override(item)
        out[key] = value
    return out


def _load(path: str, sets: Sequence[str] | None) -> Scenario:
    """The scenario of a file, refused (naming the file) when its debt cannot be structured:
    fees and reserves above a tranche's face."""
    from .model.chain import build_schedule

    scenario = load_scenario(path, overrides=_overrides(sets))
    try:
        build_schedule(scenario)
    except ScenarioError as exc:
        raise ScenarioError(path, exc.field, exc.problem) from None
    return scenario


def _progress_bar(total: int, label: str) -> tuple[Any, Any]:
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        unit="path",
        unit_scale=True,
        desc=label,
        delay=1.0,
        file=sys.stderr,
        dynamic_ncols=True,
        leave=False,
    )
    state = {"done": 0}

    def update(done: int, _total: int) -> None:
        bar.update(done - state["done"])
        state["done"] = done

    return bar, update


def _stored_scenario(folder: Path) -> Scenario | None:
    """The scenario a run folder was made from, or None when it cannot be read."""
    try:
        return load_scenario(folder / "scenario.yaml")
    except (InputError, OSError):
        return None


def _differences(old: Scenario, new: Scenario, shown: int = 2) -> str:
    """``"naef.coupon_rate: 0.045 there, 0.05 here"``: the fields that differ, the first few."""
    before = {"name": old.name, "description": old.description, **dict(iter_fields(old))}
    after = {"name": new.name, "description": new.description, **dict(iter_fields(new))}
    keys = [k for k in after if before.get(k) != after[k]]
    parts = [f"{k}: {describe(before.get(k))} there, {describe(after[k])} here" for k in keys]
    if len(parts) > shown:
        parts = [*parts[:shown], f"and {len(parts) - shown} more"]
    return "; ".join(parts)


def _check_replace(target: Path, scenario: Scenario, *, overwrite: bool) -> None:
    """Refuse to replace ``target`` unless it is a run folder of the same inputs.

    The same inputs are the same scenario, every field of it: the content hash the manifest
    records, or the folder's ``scenario.yaml`` read as this version reads it (a field added
    since takes its default in both). Another ``--paths`` or ``--seed`` of the same scenario
    may replace its folder, as may anything with ``overwrite``.

    Raises
    ------
    InputError
        Naming the folder, ``--out`` and ``--overwrite``, with what differs: a run of other
        inputs (its first differing fields), a folder that is not a complete run, or a file.
    """
    if overwrite or not (target.exists() or target.is_symlink()):
        return
    if not target.is_dir():
        what = "a file where the run folder goes"
    elif not is_complete_run(target):
        what = "a folder that is not a complete run (no manifest.json)"
    else:
        try:
            stored = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = None
        if isinstance(stored, dict) and stored.get("input_hash") == scenario.content_hash():
            return  # the same inputs: a rerun replaces it
        old = _stored_scenario(target)
        if old is not None and old == scenario:
            return  # the same inputs, hashed otherwise by a version with fewer fields
        diff = _differences(old, scenario) if old is not None else ""
        what = f"a run of other inputs ({diff or 'its input hash differs'})"
    raise InputError(
        str(target), "--out", f"got {what}; want --overwrite to replace it, or another --out"
    )


def cmd_run(args: argparse.Namespace) -> int:
    from .analysis.verdict import verdict
    from .run.engine import simulate

    scenario = _load(args.scenario, args.set)
    paths = args.paths if args.paths is not None else scenario.simulation.paths
    target = Path(args.out) / run_folder_name(scenario.name)
    if not args.no_write:
        _check_replace(target, scenario, overwrite=args.overwrite)  # before anything is written
    for w in scenario.warnings():
        print(f"warning: {args.scenario}: {w}", file=sys.stderr)
    if not args.no_write:
        prepare_output_folder(args.out)  # before the run, not after it
    if args.precision is not None:
        from .run.convergence import simulate_to_precision

        run = simulate_to_precision(
            scenario,
            precision=args.precision,
            start_paths=args.paths,
            max_paths=args.max_paths,
            seed=args.seed,
        )
        results = run.results
        for n, errors in run.rounds:
            worst = max(errors.values())
            print(f"  {n:>10,} paths: largest relative standard error {100 * worst:.2f} %")
        state = (
            "reached" if run.reached else f"NOT reached (stopped at --max-paths {args.max_paths:,})"
        )
        print(f"Precision {100 * args.precision:g} % {state} with {run.paths:,} paths.")
    else:
        bar, update = _progress_bar(paths, scenario.name)
        try:
            results = simulate(scenario, paths=args.paths, seed=args.seed, progress=update)
        finally:
            bar.close()
    for w in results.manifest["warnings"][len(scenario.warnings()) :]:  # the model's own
        print(f"warning: {args.scenario}: {w}", file=sys.stderr)
    print(results.summary_text())
    if scenario.mdf.sectors:
        print(_sector_text(results))
    print()
    print(f"Verdict\n{verdict(results).text()}")
    if not args.no_write:
        _check_replace(target, scenario, overwrite=args.overwrite)  # written meanwhile?
        remove_leftovers(args.out, [target.name])  # of an earlier run of it that was killed
        try:
            results.to_dir(target)
        except OSError as exc:
            raise InputError(
                str(args.out), "--out", f"cannot write the run folder: {os_error_text(exc)}"
            ) from None
        print(f"Results written to {target}")
    resid = results.manifest["identity_max_residual"]
    if resid > 1e-9:
        print(f"warning: waterfall identity residual {resid:.2e}", file=sys.stderr)
    return 0


def _sector_text(results: Any) -> str:
    """The Development Fund by sector: mean investment and GDP uplift PV, the uplift's share."""
    table = results.by_sector()
    invested, uplift = (
        sector_output(n) for n in ("investment_total_usd_bn", "gdp_uplift_pv_usd_bn")
    )
    lines = [
        f"  Development Fund by sector, means over paths [{invested.unit}]",
        f"    {'sector':<33}{invested.short_label:>9}{uplift.short_label:>16}{'share':>8}",
    ]
    for sector, row in table.iterrows():
        lines.append(
            f"    {sector!s:<33}{row['investment_total_usd_bn']:>9,.1f}"
            f"{row['gdp_uplift_pv_usd_bn']:>16,.1f}{row['gdp_uplift_share']:>8.0%}"
        )
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    from .model.chain import Plan

    failed = 0
    for path in args.files:
        try:
            if is_sweep_file(read_yaml(path)):
                jobs = expand_sweep(path, overrides=_overrides(args.set))
                print(
                    f"ok: {path} (sweep of {len(jobs)} scenarios: "
                    f"{', '.join(j.name for j in jobs[:3])}{', ...' if len(jobs) > 3 else ''})"
                )
                continue
            sc = _load(path, args.set)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"ok: {path} ({sc.name}, {sc.horizon.years} years, {sc.oil_price.model})")
        for w in [*sc.warnings(), *Plan.build(sc).warnings()]:
            print(f"  warning: {w}")
    return 2 if failed else 0


def cmd_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .run.batch import Progress, run_batch

    jobs = collect_jobs(args.inputs, overrides=_overrides(args.set))
    if not jobs:
        raise InputError(" ".join(args.inputs), "", "got no scenarios; want scenario files")
    # No monitor thread: with this process single-threaded the worker pool can fork, which
    # starts much faster than forkserver (see simulator.run.batch).
    tqdm.monitor_interval = 0
    bar = tqdm(
        total=1,
        unit="path",
        unit_scale=True,
        desc="batch",
        file=sys.stderr,
        dynamic_ncols=True,
        disable=args.quiet,
    )

    def update(p: Progress) -> None:
        bar.total = max(p.paths_total, 1)
        bar.n = p.paths_done
        failed = f", {p.failed} failed" if p.failed else ""
        bar.set_postfix_str(f"scenarios {p.jobs_done}/{p.jobs_total}{failed}", refresh=False)
        bar.refresh()

    try:
        catalog = run_batch(
            jobs,
            out=args.out,
            paths=args.paths,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            dask_local=args.dask_local,
            resume=args.resume,
            progress=update,
        )
    finally:
        bar.close()
    width = max(len(str(n)) for n in catalog["name"])
    shown = ("prob_default", "mdf_inflow_pv_p50")
    print(f"{'scenario':<{width}}  status  " + "  ".join(catalogue_entry(k).title for k in shown))
    for row in catalog.to_dict(orient="records"):
        if row["status"] == "ok":
            resumed = " (resumed)" if row.get("resumed") else ""
            cells = "  ".join(
                f"{format_value(k, row[k], unit=False):>{len(catalogue_entry(k).title)}}"
                for k in shown
            )
            print(f"{row['name']:<{width}}  ok      {cells}{resumed}")
        else:
            print(f"{row['name']:<{width}}  FAILED   {row['error']}")
    failed = int((catalog["status"] != "ok").sum())
    print(
        f"{len(catalog) - failed} of {len(catalog)} scenarios complete; catalog written to "
        f"{Path(args.out) / 'catalog.parquet'}"
    )
    return 1 if failed else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .analysis.compare import compare

    a = _load(args.a, args.set)
    b = _load(args.b, args.set)
    comparison = compare(a, b, paths=args.paths, seed=args.seed)
    print(comparison.text())
    return 0


def cmd_breakeven(args: argparse.Namespace) -> int:
    from .analysis.breakeven import breakeven_flat_price, breakeven_long_run

    sc = _load(args.scenario, args.set)
    print(
        f"Break-even oil prices of {sc.name} (WTI benchmark, USD/bbl in {sc.price_dollars}), "
        "debt as sized:"
    )
    rows: list[tuple[str, float | None, str]] = [
        ("min_dscr", 1.0, "flat price: minimum DSCR = 1"),
        ("min_dscr", 1.3, "flat price: minimum DSCR = 1.3"),
        ("default", None, "flat price: the median case does not default"),
        ("mdf_inflow_pv_usd_bn", None, "flat price: first money reaches the MDF"),
    ]
    for target, level, label in rows:
        try:
            be = breakeven_flat_price(sc, target=target, level=level)
            print(f"  {label:<48} {be.price_usd_per_bbl:9.2f}")
        except InputError as exc:
            print(f"  {label:<48}       n/a  ({exc.problem})")
    label = f"long-run price: P(default) = {args.threshold:.0%}"
    try:
        be = breakeven_long_run(sc, threshold=args.threshold, paths=args.paths, seed=args.seed)
        print(
            f"  {label:<48} {be.price_usd_per_bbl:9.2f}  (P = {be.metric_at_price:.3f} "
            f"± {be.standard_error:.3f}, {args.paths:,} paths)"
        )
    except InputError as exc:
        print(f"  {label:<48}       n/a  ({exc.problem})")
    print(
        "  Flat prices are for the median case (no capex overrun, no reservoir surprise, the "
        "export mix at its mean)."
    )
    print(f"  {sc.basis_note}")
    return 0


def _name_width(names: Any) -> int:
    """Width of a column of parameter names: the longest, at least 36 characters."""
    return max([36, *(len(str(n)) for n in names)])


def _num(x: float) -> str:
    """A number for a table: thousands separated, four significant digits below 1000."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _drivers(sc: Scenario, args: argparse.Namespace) -> int:
    from .analysis.drivers import distress_drivers
    from .run.engine import simulate

    results = simulate(sc, paths=args.paths, seed=args.seed)
    table = distress_drivers(results)
    n = int(results.metrics["distress"].sum())
    print(
        f"What drives distress in {sc.name}: {n:,} of {results.paths:,} paths in distress; "
        "inputs ranked by standardized difference (association, not cause)"
    )
    print(f"  {'driver':<28} {'distressed':>11} {'others':>11} {'difference':>11} {'std diff':>9}")
    for name, row in table.head(args.top).iterrows():
        print(
            f"  {name!s:<28} {_num(row['mean_distressed']):>11} {_num(row['mean_other']):>11} "
            f"{_num(row['difference']):>11} {row['standardized_difference']:>9.3f}"
        )
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from .analysis.sensitivity import tornado

    sc = _load(args.scenario, args.set)
    if args.method == "drivers":
        return _drivers(sc, args)
    if args.method == "sobol":
        return _sobol(sc, args)
    if args.method == "yearly":
        return _yearly(sc, args)
    outputs = tuple(args.output or DEFAULT_OUTPUTS)
    result = tornado(
        sc, parameters=args.parameter or None, outputs=outputs, paths=args.paths, seed=args.seed
    )
    paths = args.paths or sc.simulation.paths
    print(
        f"Tornado of {sc.name}: one parameter at a time, low and high, common random numbers "
        f"({paths:,} paths)"
    )
    for output in outputs:
        ranking = result.ranking(output)
        base = float(ranking["base"].iloc[0]) if len(ranking) else float("nan")
        print(f"\n{output} (base {base:.4g})")
        w = _name_width(ranking["parameter"])
        print(
            f"  {'parameter':<{w}} {'low':>10} {'high':>10} {'at low':>10} {'at high':>10} "
            f"{'swing':>10}"
        )
        for row in ranking.to_dict(orient="records"):
            cells = " ".join(
                f"{_num(row[k]):>10}"
                for k in ("low_value", "high_value", "at_low", "at_high", "swing")
            )
            print(f"  {row['parameter']:<{w}} {cells}")
    if args.html:
        from .present.plots import tornado_chart

        _write_charts(args.html, [tornado_chart(result.ranking(output)) for output in outputs])
    return 0


def _write_charts(path: str, figures: list[Any]) -> None:
    """Figures into one self-contained HTML file (plotly.js inlined once), written atomically."""
    from .run.results import atomic_file

    target = Path(path)
    try:
        with atomic_file(target) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            for i, fig in enumerate(figures):
                fh.write(fig.to_html(full_html=i == 0, include_plotlyjs=i == 0))
    except OSError as exc:
        raise InputError(str(target), "--html", f"cannot write: {exc.strerror}") from None
    print(f"\nCharts written to {target}")


def _yearly(sc: Scenario, args: argparse.Namespace) -> int:
    from .analysis.sensitivity import yearly_sensitivity

    table = yearly_sensitivity(
        sc,
        series=args.series,
        parameters=args.parameter or None,
        statistic=args.statistic,
        paths=args.paths,
        seed=args.seed,
    )
    # The parameters that matter most in some year, by their largest change.
    peak = table.abs().max().sort_values(ascending=False, kind="stable")
    shown = list(peak.index[: max(1, args.top)])
    print(
        f"Per-year sensitivity of {sc.name}: change of the {args.statistic} of {args.series} "
        f"over paths, parameter at its high value minus at its low value "
        f"({table.attrs['paths']:,} paths, common random numbers)"
    )
    width = max(len(str(p)) for p in shown)
    print(f"  {'parameter':<{width}}  {'largest change':>14}  {'in':>4}")
    for p in shown:
        moved = table[p].abs()
        year = moved.idxmax() if moved.max() > 0 else None  # no year for no effect
        value = table[p].loc[year] if year is not None else float(moved.max())
        print(f"  {p!s:<{width}}  {_num(value):>14}  {year if year is not None else '-':>4}")
    if args.html:
        from .present.plots import yearly_sensitivity_heatmap

        _write_charts(args.html, [yearly_sensitivity_heatmap(table)])
    return 0


def _sobol(sc: Scenario, args: argparse.Namespace) -> int:
    from .analysis.sensitivity import DEFAULT_BASE_SAMPLES, DEFAULT_PATHS_PER_SAMPLE, sobol

    outputs = tuple(args.output or DEFAULT_OUTPUTS)
    bar, update = _progress_bar(0, "sobol")

    def progress(done: int, total: int) -> None:
        bar.total = total  # known once the Sobol' sample is drawn
        update(done, total)

    try:
        result = sobol(
            sc,
            parameters=args.parameter or None,
            outputs=outputs,
            # The library's defaults unless given (imported here: it loads plotly).
            base_samples=(DEFAULT_BASE_SAMPLES if args.base_samples is None else args.base_samples),
            paths_per_sample=(
                DEFAULT_PATHS_PER_SAMPLE if args.paths_per_sample is None else args.paths_per_sample
            ),
            seed=args.seed,
            progress=progress,
        )
    finally:
        bar.close()
    print(
        f"Sobol indices of {sc.name}: {len(result.parameters)} parameters, "
        f"{result.evaluations:,} parameter sets (N = {result.base_samples}) x "
        f"{result.paths_per_sample:,} paths = {result.paths_total:,} paths, common random "
        "numbers; S1 first order, ST total, +- the 95% interval"
    )
    for output in outputs:
        ranking = result.ranking(output)
        print(f"\n{output}")
        if ranking["ST"].isna().all():
            print("  does not vary over these ranges: no variance to share out")
            continue
        w = _name_width(ranking["parameter"])
        print(f"  {'parameter':<{w}} {'low':>10} {'high':>10} {'S1':>14} {'ST':>14}")
        for row in ranking.to_dict(orient="records"):
            s1 = f"{row['S1']:.3f} +-{row['S1_conf']:.3f}"
            st = f"{row['ST']:.3f} +-{row['ST_conf']:.3f}"
            print(
                f"  {row['parameter']:<{w}} {_num(row['low']):>10} {_num(row['high']):>10} "
                f"{s1:>14} {st:>14}"
            )
    if args.html:
        from .present.plots import sobol_chart

        _write_charts(args.html, [sobol_chart(result.ranking(output)) for output in outputs])
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .present.report import REPORT_FILE, write_report

    tornado_paths = args.tornado_paths if args.tornado else None
    try:
        target = write_report(args.run_dir, tornado_paths=tornado_paths)
    except OSError as exc:
        raise InputError(
            str(args.run_dir), REPORT_FILE, f"cannot write: {os_error_text(exc)}"
        ) from None
    print(f"Report written to {target}")
    if args.xlsx:
        from .present.workbook import WORKBOOK_FILE, write_workbook
        from .run.results import Results

        try:
            book = write_workbook(
                Results.from_dir(args.run_dir), Path(args.run_dir) / WORKBOOK_FILE
            )
        except OSError as exc:
            raise InputError(
                str(args.run_dir), WORKBOOK_FILE, f"cannot write: {os_error_text(exc)}"
            ) from None
        print(f"Workbook written to {book}")
    return 0


def app_command(address: str, port: int) -> list[str]:
    """The command line that serves the what-if page on ``address:port`` (``naef app``)."""
    app = Path(__file__).resolve().parents[1] / "app" / "app.py"
    if not app.is_file():
        raise InputError(str(app), "", "the app is not there; want a checkout of the project")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # Streamlit holds an upload in memory before the page sees it: refuse anything over
        # 1 MB at the server (the page's own limit, MAX_UPLOAD_BYTES, is lower still).
        "--server.maxUploadSize",
        "1",
        # No Deploy button and no developer menu: the page is served, not developed.
        "--client.toolbarMode",
        "minimal",
    ]


def _bind_error(family: int, sockaddr: Any) -> OSError | None:
    """The error of binding a listening socket to ``sockaddr`` now, or None if it is free.

    The probe sets ``SO_REUSEADDR`` (and ``IPV6_V6ONLY``) as the server's own sockets do, so a
    port is taken only while something listens on it, not while a closed connection waits.
    """
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            probe.bind(sockaddr)
        except OSError as exc:
            return exc
    return None


def _check_port(address: str, port: int) -> None:
    """Check that the page can be served on ``address:port``, binding it for a moment.

    Raises
    ------
    InputError
        Naming ``--port`` when the port is out of range, in use or not allowed, and
        ``--address`` when the address is not one of this machine (it suggests a free port
        near a port in use).
    """
    if not 1 <= port <= 65535:
        raise InputError("naef app", "--port", f"got {port}; want a port from 1 to 65535")
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        text = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise InputError(
            "naef app",
            "--address",
            f"got {describe(address)}: {text}; want an address of this machine, e.g. 127.0.0.1",
        ) from None
    errors: list[OSError] = []
    for family, _, _, _, sockaddr in infos:
        error = _bind_error(family, sockaddr)
        if error is None:
            continue
        if error.errno == errno.EADDRINUSE:
            free = next(
                (
                    p
                    for p in range(port + 1, min(port + 20, 65535) + 1)
                    if _bind_error(family, (sockaddr[0], p, *sockaddr[2:])) is None
                ),
                None,
            )
            hint = f" (--port {free} is free)" if free is not None else ""
            raise InputError(
                "naef app",
                "--port",
                f"got {port}, already in use on {address}; want a free port{hint}",
            )
        if error.errno == errno.EACCES:
            raise InputError(
                "naef app", "--port", f"got {port}: {os_error_text(error)}; want a port above 1023"
            )
        errors.append(error)
    if errors and len(errors) == len(infos):  # the server could bind none of them
        raise InputError(
            "naef app",
            "--address",
            f"got {describe(address)}: {os_error_text(errors[0])}; "
            "want an address of this machine, e.g. 127.0.0.1",
        )


def cmd_app(args: argparse.Namespace) -> int:
    import signal
    import subprocess

    cmd = app_command(args.address, args.port)
    _check_port(args.address, args.port)  # before saying it serves
    url = f"http://{args.address}:{args.port}"
    print(f"naef app: serving on {url} (Ctrl-C to stop)", flush=True)
    server = subprocess.Popen(cmd)

    def forward(signum: int, _frame: Any) -> None:
        server.send_signal(signum)  # stopping naef app stops the server, leaving no orphan

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_credit(args: argparse.Namespace) -> int:
    from .analysis.credit import credit_report, fair_coupon, tranche_credit
    from .run.engine import simulate

    sc = _load(args.scenario, args.set)
    paths = args.paths or sc.simulation.paths
    seed = sc.simulation.seed if args.seed is None else args.seed
    res = simulate(sc, paths=paths, seed=seed)
    report = credit_report(res)
    print(f"Credit of the notes of {sc.name} (coupon {sc.naef.coupon_rate:.2%}):")
    print(report.text())
    if sc.waterfall.cash_sweep_share == 0:
        by_tranche = tranche_credit(res)
        print(f"  By tranche (pari passu; {int(by_tranche['paths'].iloc[0]):,} kept paths):")
        print("    tranche  final  face [USD bn]  WAL [y]      PD      EL")
        for _, row in by_tranche.iterrows():
            print(
                f"    {int(row['issued']):>7}  {int(row['final_maturity']):>5}  "
                f"{row['face_usd_bn']:13.2f}  {row['weighted_average_life_years']:7.1f}  "
                f"{row['probability_of_default']:6.2%}  {row['expected_loss']:6.3%}"
            )
    if not args.no_coupon:
        fair = fair_coupon(sc, paths=args.coupon_paths, seed=seed)
        rate = sc.credit.risk_free_rate + sc.credit.risk_premium
        if fair.coupon is None:
            print(
                f"  Fair coupon: no clearing coupon between {rate:.2%} and "
                f"{rate + 0.15:.2%} ({fair.paths:,} paths)"
            )
        else:
            assert fair.spread is not None and fair.standard_error is not None
            print(
                f"  Fair coupon                            {fair.coupon:8.3%}  (spread "
                f"{1e4 * fair.spread:.0f} bp over {sc.credit.risk_free_rate:.2%}, ± "
                f"{1e4 * fair.standard_error:.1f} bp, {fair.paths:,} paths)"
            )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .analysis.calibrate import calibrate
    from .run.results import atomic_file

    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not args.force:
        raise InputError(
            str(out), "--out", "got an existing file; want a new file, or --force to replace it"
        )
    cal = calibrate(
        series=args.series,
        data=args.data,
        frequency=args.frequency,
        start=args.start,
        end=args.end,
        basis=args.basis,
        base_year=args.base_year,
        model=args.model,
    )
    block = cal.to_yaml()
    if out is not None:
        try:
            with atomic_file(out) as tmp:
                tmp.write_text(block, encoding="utf-8")
        except OSError as exc:
            raise InputError(str(out), "--out", f"cannot write: {os_error_text(exc)}") from None
    print(cal.summary())
    print()
    print(block, end="")
    if out is not None:
        print(f"oil_price block written to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naef",
        description="Monte Carlo simulator of the NAEF energy-for-infrastructure "
        "swap (2005 U.S.-Mexico proposal).",
    )
    parser.add_argument("--version", action="version", version=f"naef {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_set(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--set",
            action="append",
            metavar="KEY=VALUE",
            help="override a field, e.g. --set naef.coupon_rate=0.05 (repeatable)",
        )

    p = sub.add_parser("run", help="run one scenario, print its summary, write a run folder")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--paths", type=int, help="number of Monte Carlo paths")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument(
        "--out", default="results", help="parent folder of the run folder (default: results)"
    )
    p.add_argument("--no-write", action="store_true", help="print the summary only")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run folder even when it holds a run of other inputs "
        "(a rerun of the same inputs replaces it without)",
    )
    p.add_argument(
        "--precision",
        type=float,
        metavar="REL",
        help="add paths until the relative standard error of the headline figures "
        "is under REL (e.g. 0.01); --paths is the first round",
    )
    p.add_argument(
        "--max-paths", type=int, default=1_000_000, help="cap for --precision (default 1,000,000)"
    )
    add_set(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("batch", help="run scenario files, folders and sweeps; write a catalog")
    p.add_argument("inputs", nargs="+", help="scenario files, sweep files or folders of them")
    p.add_argument("--out", required=True, help="output folder (one run folder per scenario)")
    p.add_argument("--workers", type=int, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler")
    p.add_argument(
        "--dask-local", action="store_true", help="run on a Dask LocalCluster on 127.0.0.1"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip scenarios already complete in --out for the same inputs",
    )
    p.add_argument("--paths", type=int, help="paths for every scenario")
    p.add_argument("--seed", type=int, help="seed for every scenario")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_set(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("compare", help="compare two scenarios with common random numbers")
    p.add_argument("a", help="scenario A")
    p.add_argument("b", help="scenario B")
    p.add_argument("--paths", type=int, help="number of paths (default: A's)")
    p.add_argument("--seed", type=int, help="seed shared by both runs (default: A's)")
    add_set(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("breakeven", help="oil prices at which the structure breaks even")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument(
        "--threshold",
        type=float,
        default=0.10,
        help="probability of default for the long-run break-even (default 0.10)",
    )
    p.add_argument("--paths", type=int, default=4000, help="paths per evaluation (default 4000)")
    p.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    add_set(p)
    p.set_defaults(func=cmd_breakeven)

    p = sub.add_parser(
        "sensitivity", help="which assumption matters most (tornado, Sobol, distress drivers)"
    )
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument(
        "--method",
        choices=["tornado", "sobol", "yearly", "drivers"],
        default="tornado",
        help="tornado: one parameter at a time; sobol: global variance-based indices (SALib); "
        "yearly: which parameter matters in which year of a series; drivers: how the paths "
        "in distress differ from the others",
    )
    p.add_argument("--series", default="dscr", help="yearly: the per-year series (default dscr)")
    p.add_argument(
        "--statistic",
        choices=["median", "mean"],
        default="median",
        help="yearly: statistic over paths each year (default median)",
    )
    p.add_argument(
        "--base-samples",
        type=int,
        help="sobol: base samples N, a power of two (default 256; N (D + 2) parameter sets)",
    )
    p.add_argument(
        "--paths-per-sample", type=int, help="sobol: paths of each parameter set (default 256)"
    )
    p.add_argument(
        "--top", type=int, default=12, help="drivers or yearly: rows to list (default 12)"
    )
    p.add_argument(
        "--parameter",
        action="append",
        metavar="KEY",
        help="dotted field to vary (repeatable; default: the main assumptions)",
    )
    p.add_argument(
        "--output",
        action="append",
        metavar="NAME",
        help=f"headline figure to rank by (repeatable; default: {', '.join(DEFAULT_OUTPUTS)})",
    )
    p.add_argument("--paths", type=int, help="paths per run (default: the scenario's)")
    p.add_argument("--seed", type=int, help="seed shared by every run (default: the scenario's)")
    p.add_argument("--html", help="write the tornado charts to this HTML file (offline)")
    add_set(p)
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("report", help="write a self-contained report.html for a run folder")
    p.add_argument("run_dir", help="a run folder written by naef run or naef batch")
    p.add_argument(
        "--tornado", action="store_true", help="add a tornado sensitivity (reruns the scenario)"
    )
    p.add_argument(
        "--tornado-paths", type=int, default=2000, help="paths per tornado run (default 2000)"
    )
    p.add_argument(
        "--xlsx",
        action="store_true",
        help="also write report.xlsx: inputs, headline, summary, ledger and fans as sheets",
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("app", help="start the what-if page in the browser (Streamlit)")
    p.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("validate", help="check scenario and sweep files without running them")
    p.add_argument("files", nargs="+", help="scenario YAML files")
    add_set(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "credit", help="the notes as investors see them: default, loss, rating, fair coupon"
    )
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--paths", type=int, help="paths of the run (default: the scenario's)")
    p.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    p.add_argument(
        "--coupon-paths",
        type=int,
        default=4000,
        help="paths of each run of the fair-coupon search (default 4000)",
    )
    p.add_argument("--no-coupon", action="store_true", help="skip the fair-coupon search")
    add_set(p)
    p.set_defaults(func=cmd_credit)

    p = sub.add_parser(
        "calibrate",
        help="fit the oil price model to annual average prices; print an oil_price block",
    )
    p.add_argument(
        "--model", choices=["mean_reverting", "gbm"], default="mean_reverting", help="price model"
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--series", choices=["wti", "brent"], default="wti", help="shipped EIA series (default wti)"
    )
    source.add_argument("--data", metavar="FILE.csv", help="your own prices: CSV with Date,Price")
    p.add_argument(
        "--frequency",
        choices=["annual", "monthly"],
        help="frequency of the data (default: annual for --series, from the dates for --data); "
        "monthly prices are averaged to complete calendar years",
    )
    p.add_argument("--from", dest="start", type=int, metavar="Y", help="first year of the window")
    p.add_argument("--to", dest="end", type=int, metavar="Y", help="last year of the window")
    p.add_argument(
        "--basis",
        choices=["nominal", "real"],
        default="nominal",
        help="nominal prices, or real: constant dollars of --base-year (U.S. CPI-U)",
    )
    p.add_argument(
        "--base-year", type=int, default=2005, metavar="Y", help="year of real dollars (2005)"
    )
    p.add_argument("--out", metavar="FILE.yaml", help="also write the oil_price block here")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=cmd_calibrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``naef`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (naef ... | head): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # a failure of the program itself
        print(f"naef: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NAEF_DEBUG"):
            traceback.print_exc()
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
