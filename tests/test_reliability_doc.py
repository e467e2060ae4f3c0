"""docs/reliability.md is what tests/reliability_doc.py renders from the reliability tests."""

from __future__ import annotations

import ast

import pytest
import reliability_doc  # tests/ is on sys.path when pytest collects this file


def test_reliability_doc_is_up_to_date() -> None:
    """The committed document equals the one rendered from the tests' docstrings now."""
    want = reliability_doc.render()
    have = reliability_doc.DOC.read_text(encoding="utf-8") if reliability_doc.DOC.is_file() else ""
    assert have == want, "docs/reliability.md is stale: run python tests/reliability_doc.py"


@pytest.mark.parametrize("name", reliability_doc.FILES)
def test_every_reliability_test_says_what_it_tries_and_what_holds(name: str) -> None:
    """Every test function of the reliability files has a 'Tried: ... Holds: ...' docstring."""
    path = reliability_doc.TESTS / name
    if not path.is_file():
        pytest.skip(f"tests/{name} does not exist yet")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test_"
        ):
            try:
                reliability_doc.parse_docstring(ast.get_docstring(node), node.name)
            except reliability_doc.DocstringError as exc:
                bad.append(str(exc))
    assert not bad, "tests without a Tried/Holds docstring:\n" + "\n".join(bad)


def test_the_docstring_convention_is_enforced() -> None:
    """The parser refuses what the convention forbids and keeps what it allows."""
    ok = reliability_doc.parse_docstring(
        "Tried: a thing\n    over two lines.\nHolds: it works.\nFound: a bug; fixed.", "t"
    )
    assert ok == {
        "Tried": "a thing over two lines.",
        "Holds": "it works.",
        "Found": "a bug; fixed.",
    }
    for doc in (None, "", "Holds: x.", "Tried: x.", "Tried: x.\nHolds: y.\nHolds: z.", "x\nTried:"):
        with pytest.raises(reliability_doc.DocstringError):
            reliability_doc.parse_docstring(doc, "t")


def test_the_document_covers_every_test_and_case() -> None:
    """Every reliability test function appears in the document, and so does every case id of
    the extreme scenarios."""
    text = reliability_doc.render()
    for f in reliability_doc.collect():
        assert f"`{f.path}`" in text
        for t in f.tests:
            assert f"| `{t.name}` |" in text, t.name
    extreme = reliability_doc._import(reliability_doc.TESTS / "test_extreme_scenarios.py")
    for case in extreme.CASES:
        assert f"- `{case.id}`: {case.doc}" in text
    assert "## Chunk size" in text
