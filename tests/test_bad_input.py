"""Bad input never crashes: every malformed scenario gives exit code 2 and one clear line.

Each case is written into ``tmp_path`` and run through ``naef validate FILE`` and
``naef run FILE --paths 10 --no-write`` (in-process, and a few times as a real subprocess), and
through the library's :func:`simulator.load_scenario`, whose :class:`simulator.ScenarioError`
must carry the file (``.source``) and the dotted field (``.field``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import simulator
from simulator.cli import main

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "naef-2005.yaml"


@dataclass(frozen=True)
class Case:
    """One malformed input.

    files: what to write into tmp_path (name -> text or bytes); a name ending in "/" is a folder.
    target: the path handed to the command, relative to tmp_path.
    field: the dotted field the message must name ("" when the document as a whole is bad).
    expect: further substrings the one-line message must contain.
    sources: file names the error's ``.source`` may point at (default: the target's name).
    """

    id: str
    files: dict[str, str | bytes]
    target: str
    field: str = ""
    expect: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


CASES: list[Case] = [
    Case("not-yaml", {"s.yaml": "naef: [1, 2"}, "s.yaml", "", ("YAML", "line 1")),
    Case("tab-indent", {"s.yaml": "naef:\n\tcoupon_rate: 0.05\n"}, "s.yaml", "", ("YAML",)),
    Case("list-not-mapping", {"s.yaml": "- naef\n- pemex\n"}, "s.yaml", "", ("list", "mapping")),
    Case("empty-file", {"s.yaml": ""}, "s.yaml", "", ("empty",)),
    Case("not-utf8", {"s.yaml": b"\xff\xfe\x00naef: 1"}, "s.yaml", "", ("UTF-8",)),
    Case(
        "unknown-top-level-key",
        {"s.yaml": "naaef:\n  coupon_rate: 0.05\n"},
        "s.yaml",
        "naaef",
        ("unknown", "did you mean 'naef'"),
    ),
    Case(
        "unknown-section-field",
        {"s.yaml": "naef:\n  coupon: 0.05\n"},
        "s.yaml",
        "naef.coupon",
        ("unknown", "coupon_rate"),
    ),
    Case(
        "int-field-given-word",
        {"s.yaml": "naef:\n  tenor_years: twenty\n"},
        "s.yaml",
        "naef.tenor_years",
        ("twenty",),
    ),
    Case(
        "float-field-given-bool",
        {"s.yaml": "naef:\n  coupon_rate: true\n"},
        "s.yaml",
        "naef.coupon_rate",
        ("True",),
    ),
    Case(
        "int-field-given-bool",
        {"s.yaml": "horizon:\n  years: true\n"},
        "s.yaml",
        "horizon.years",
        ("True",),
    ),
    Case(
        "name-not-a-string",
        {"s.yaml": "name: 5\n"},
        "s.yaml",
        "name",
        ("5",),
    ),
    Case(
        "negative-tenor",
        {"s.yaml": "naef:\n  tenor_years: -3\n"},
        "s.yaml",
        "naef.tenor_years",
        ("-3",),
    ),
    Case(
        "grace-equal-to-tenor",
        {"s.yaml": "naef:\n  tenor_years: 5\n  grace_years: 5\n"},
        "s.yaml",
        "naef.grace_years",
        ("tenor_years",),
    ),
    Case(
        "grace-above-tenor-from-merged-file",
        {
            "base.yaml": "naef:\n  tenor_years: 10\n",
            "s.yaml": "extends: base.yaml\nnaef:\n  grace_years: 12\n",
        },
        "s.yaml",
        "naef.grace_years",
        ("12", "tenor_years"),
    ),
    Case(
        "share-above-one",
        {"s.yaml": "waterfall:\n  mdf_share: 1.5\n"},
        "s.yaml",
        "waterfall.mdf_share",
        ("1.5",),
    ),
    Case(
        "nan-value",
        {"s.yaml": "oil_price:\n  volatility: .nan\n"},
        "s.yaml",
        "oil_price.volatility",
        ("nan",),
    ),
    Case(
        "inf-value",
        {"s.yaml": "oil_price:\n  initial_usd_per_bbl: .inf\n"},
        "s.yaml",
        "oil_price.initial_usd_per_bbl",
        ("inf",),
    ),
    Case(
        "nan-inside-a-list",
        {"s.yaml": "naef:\n  issuance_usd_bn: [15, .nan]\n"},
        "s.yaml",
        "naef.issuance_usd_bn[1]",
        ("nan",),
    ),
    Case(
        "missing-extends-target",
        {"s.yaml": "extends: nope.yaml\n"},
        "s.yaml",
        "extends",
        ("nope.yaml",),
    ),
    Case(
        "extends-not-a-path",
        {"s.yaml": "extends: 5\n"},
        "s.yaml",
        "extends",
        ("5",),
    ),
    Case(
        "extends-cycle",
        {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"},
        "a.yaml",
        "extends",
        ("cycle",),
        sources=("a.yaml", "b.yaml"),
    ),
    Case(
        "self-extends",
        {"self.yaml": "name: me\nextends: self.yaml\n"},
        "self.yaml",
        "extends",
        ("cycle",),
    ),
    Case(
        "percentiles-not-increasing",
        {"s.yaml": "reporting:\n  percentiles: [50, 10, 90]\n"},
        "s.yaml",
        "reporting.percentiles",
        ("increasing",),
    ),
    Case(
        "percentiles-repeated",
        {"s.yaml": "reporting:\n  percentiles: [10, 10, 90]\n"},
        "s.yaml",
        "reporting.percentiles",
        ("increasing",),
    ),
    Case(
        "fixed-path-longer-than-horizon",
        {
            "s.yaml": "horizon:\n  years: 3\n"
            "naef:\n  issuance_usd_bn: [15]\n  tenor_years: 2\n  grace_years: 1\n"
            "oil_price:\n  fixed_path_usd_per_bbl: [50, 60, 70, 80]\n"
        },
        "s.yaml",
        "oil_price.fixed_path_usd_per_bbl",
        ("4",),
    ),
    Case(
        "more-tranches-than-years",
        {"s.yaml": "horizon:\n  years: 3\nnaef:\n  issuance_usd_bn: [1, 1, 1, 1]\n"},
        "s.yaml",
        "naef.issuance_usd_bn",
        ("4 tranches",),
    ),
    Case(
        "section-is-a-scalar",
        {"s.yaml": "naef: 5\n"},
        "s.yaml",
        "naef",
        ("5", "mapping"),
    ),
    Case(
        "deck-model-without-deck",
        {"s.yaml": "oil_price:\n  model: deck\n"},
        "s.yaml",
        "oil_price.deck_usd_per_bbl",
        (),
    ),
    Case(
        "unknown-price-model",
        {"s.yaml": "oil_price:\n  model: random_walk\n"},
        "s.yaml",
        "oil_price.model",
        ("random_walk",),
    ),
    Case("non-existent-file", {}, "missing.yaml", "", ("not found",)),
    Case("a-directory", {"adir/": ""}, "adir", "", ("folder",)),
]


def _write_case(case: Case, root: Path) -> Path:
    for name, content in case.files.items():
        p = root / name
        if name.endswith("/"):
            p.mkdir(parents=True)
        elif isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return root / case.target


def _check_one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.endswith("\n"), repr(err)
    lines = err.splitlines()
    assert len(lines) == 1, f"want exactly one line on stderr, got {len(lines)}: {err!r}"
    return lines[0]


def _check_message(line: str, case: Case) -> None:
    target_name = Path(case.target).name
    assert target_name in line, f"the message does not name the file {target_name!r}: {line!r}"
    if case.field:
        assert f": {case.field}: " in line, f"the message does not name {case.field!r}: {line!r}"
    for text in case.expect:
        assert text in line, f"want {text!r} in {line!r}"


COMMANDS = {
    "validate": lambda path: ["validate", str(path)],
    "run": lambda path: ["run", str(path), "--paths", "10", "--no-write"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_rejects_bad_scenario_with_one_line(
    case: Case, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_case(case, tmp_path)
    rc = main(COMMANDS[command](path))
    out, err = capsys.readouterr()
    assert rc == 2, f"exit code {rc}; stderr {err!r}"
    line = _check_one_line(err)
    assert line.startswith("error: "), line
    _check_message(line, case)
    assert out == "", f"nothing should be printed on stdout for a rejected file: {out!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_load_scenario_raises_scenario_error(case: Case, tmp_path: Path) -> None:
    path = _write_case(case, tmp_path)
    with pytest.raises(simulator.ScenarioError) as info:
        simulator.load_scenario(path)
    exc = info.value
    assert isinstance(exc, ValueError)
    assert exc.field == case.field
    allowed = case.sources or (Path(case.target).name,)
    assert Path(exc.source).name in allowed, exc.source
    assert "\n" not in str(exc)
    assert str(exc).startswith(exc.source)


def test_cycle_message_lists_every_file_of_the_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """a.yaml extends b.yaml extends a.yaml: the cycle shown must go through both files."""
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    rc = main(["validate", str(tmp_path / "a.yaml")])
    line = _check_one_line(capsys.readouterr().err)
    assert rc == 2
    shown = re.search(r"cycle \(([^)]*)\)", line)
    assert shown is not None, line
    chain = [part.strip() for part in shown.group(1).split("->")]
    assert chain == ["a.yaml", "b.yaml", "a.yaml"], (
        f"the cycle is a.yaml -> b.yaml -> a.yaml, the message shows {shown.group(1)!r}"
    )


def test_unknown_field_in_extended_file_names_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bad key is written in parent.yaml; a message naming only child.yaml misleads."""
    (tmp_path / "parent.yaml").write_text("naef:\n  coupon: 0.05\n")
    (tmp_path / "child.yaml").write_text("extends: parent.yaml\nname: child\n")
    rc = main(["validate", str(tmp_path / "child.yaml")])
    line = _check_one_line(capsys.readouterr().err)
    assert rc == 2
    assert ": naef.coupon: " in line
    assert "coupon_rate" in line
    assert "parent.yaml" in line, f"the unknown field is in parent.yaml; message: {line!r}"


# ---------------------------------------------------------------------- --set


SET_CASES = [
    # (id, --set text, substrings the one-line message must hold)
    ("unknown-key", "naef.coupn_rate=0.05", ("naef.coupn_rate", "unknown", "coupon_rate")),
    ("unknown-section", "naeff.coupon_rate=0.05", ("naeff.coupon_rate", "unknown")),
    ("bad-value", "naef.coupon_rate=abc", ("naef-2005.yaml", ": naef.coupon_rate: ", "abc")),
    ("nan-value", "naef.coupon_rate=.nan", ("naef-2005.yaml", ": naef.coupon_rate: ", "nan")),
    ("out-of-bounds", "naef.tenor_years=0", ("naef-2005.yaml", ": naef.tenor_years: ")),
    ("no-equals", "novalue", ("novalue", "=")),
    ("unparsable-yaml-value", "naef.issuance_usd_bn=[1", ("naef.issuance_usd_bn",)),
]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    ("setting", "expect"), [c[1:] for c in SET_CASES], ids=[c[0] for c in SET_CASES]
)
def test_bad_set_override(
    setting: str,
    expect: tuple[str, ...],
    command: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc = main([*COMMANDS[command](BASELINE), "--set", setting])
    out, err = capsys.readouterr()
    assert rc == 2, err
    line = _check_one_line(err)
    for text in expect:
        assert text in line, f"want {text!r} in {line!r}"
    assert out == ""


def test_good_set_after_bad_file_still_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid --set must not mask an invalid file."""
    bad = tmp_path / "s.yaml"
    bad.write_text("waterfall:\n  mdf_share: 1.5\n")
    rc = main(["validate", str(bad), "--set", "naef.coupon_rate=0.05"])
    line = _check_one_line(capsys.readouterr().err)
    assert rc == 2
    assert ": waterfall.mdf_share: " in line


def test_set_fixes_a_bad_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--set is applied before validation, so it can repair an out-of-bounds value."""
    bad = tmp_path / "s.yaml"
    bad.write_text("waterfall:\n  mdf_share: 1.5\n")
    rc = main(["validate", str(bad), "--set", "waterfall.mdf_share=0.5"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert out.startswith("ok: ")


def test_with_overrides_unknown_key_raises() -> None:
    sc = simulator.load_scenario(BASELINE)
    with pytest.raises(simulator.ScenarioError) as info:
        sc.with_overrides({"naef.coupn_rate": 0.05})
    assert info.value.field == "naef.coupn_rate"
    assert "coupon_rate" in str(info.value)
    with pytest.raises(simulator.ScenarioError) as info:
        sc.with_overrides({"naef.coupon_rate": "abc"})
    assert info.value.field == "naef.coupon_rate"


def test_validate_reports_each_bad_file_and_still_checks_good_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("naef:\n  coupon: 0.05\n")
    rc = main(["validate", str(BASELINE), str(bad)])
    out, err = capsys.readouterr()
    assert rc == 2
    line = _check_one_line(err)
    assert "bad.yaml" in line
    assert out.startswith("ok: ") and "naef-2005.yaml" in out


# ---------------------------------------------------------------------- end to end


def _naef(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("content", "field_name"),
    [("naef: [1, 2", ""), ("naef:\n  coupon: 0.05\n", "naef.coupon"), ("naef: 5\n", "naef")],
    ids=["not-yaml", "unknown-field", "scalar-section"],
)
def test_subprocess_bad_file_exit_2_without_traceback(
    content: str, field_name: str, tmp_path: Path
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(content)
    for args in (("validate", str(path)), ("run", str(path), "--paths", "10", "--no-write")):
        proc = _naef(*args, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        line = _check_one_line(proc.stderr)
        assert "broken.yaml" in line
        if field_name:
            assert f": {field_name}: " in line
        assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml"]


def test_subprocess_bad_set_exit_2(tmp_path: Path) -> None:
    proc = _naef(
        "run", str(BASELINE), "--paths", "10", "--no-write", "--set", "novalue", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "novalue" in _check_one_line(proc.stderr)


def test_sweep_file_given_to_run_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`naef run` takes one scenario; a sweep file is for `naef batch` (and `naef validate`)."""
    (tmp_path / "base.yaml").write_text("name: base\n", encoding="utf-8")
    sweep = tmp_path / "s.yaml"
    sweep.write_text("base: base.yaml\nsweep:\n  naef.coupon_rate: [0.04, 0.06]\n")
    rc = main(["run", str(sweep), "--paths", "10", "--no-write"])
    line = _check_one_line(capsys.readouterr().err)
    assert rc == 2
    assert "s.yaml" in line and ": sweep: " in line and "sweep file" in line


def test_sweep_with_a_missing_base_names_the_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "s.yaml"
    sweep.write_text("base: x.yaml\nsweep:\n  naef.coupon_rate: [0.04, 0.06]\n")
    rc = main(["validate", str(sweep)])
    line = _check_one_line(capsys.readouterr().err)
    assert rc == 2
    assert "s.yaml" in line and ": base: " in line and "x.yaml" in line
