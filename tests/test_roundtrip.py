"""Editing datum.yaml keeps what people wrote: comments, key order, block scalars, indentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from datumkit.errors import DatumError
from datumkit.model.fieldpath import format_field_path, parse_field_path
from datumkit.model.yamlio import YamlSyntaxError, load_roundtrip, set_field
from helpers.repo import CliRun

NEW_SHA = "603446e78ae753f00814098e19b8103755ba7431"


def test_set_keeps_comments_order_and_block_scalars(project: Path, run_cli: CliRun) -> None:
    path = project / "datums/banking77/datum.yaml"
    before = path.read_text()
    result = run_cli("set", "banking77", "repo.start_commit_sha", NEW_SHA)
    assert result.exit_code == 0, result.output
    after = path.read_text()
    old_sha = "e381612f0c6c0bb11edf17545e6a4ae08240de09"
    # exactly one line changed, and its trailing comment survived
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            f'  start_commit_sha: {old_sha}  # "Add a keyword-rule baseline ..."',
            f'  start_commit_sha: {NEW_SHA}  # "Add a keyword-rule baseline ..."',
        )
    ]
    assert after.replace(NEW_SHA, old_sha) == before


def test_set_a_number_and_a_multiline_text(project: Path, run_cli: CliRun) -> None:
    path = project / "datums/banking77/datum.yaml"
    result = run_cli(
        "set",
        "banking77",
        "evaluation.rubrics[0].weight",
        "0.4",
        "evaluation.rubrics[2].weight",
        "0.3",
    )
    assert result.exit_code == 0, result.output
    result = run_cli("set", "banking77", "lm.instructions", "Line one.\nLine two.")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "      weight: 0.4\n" in text
    assert "  instructions: |\n    Line one.\n    Line two.\n" in text
    assert text.startswith("# datum.yaml: the one file of this datum that people edit.")
    assert "    - id: interface-kept\n" in text  # sequence indentation kept


def test_set_refuses_a_value_that_breaks_a_rule_and_writes_nothing(
    project: Path, run_cli: CliRun
) -> None:
    path = project / "datums/banking77/datum.yaml"
    before = path.read_bytes()
    result = run_cli("set", "banking77", "evaluation.rubrics[0].weight", "0.9")
    assert result.exit_code == 1
    assert (
        "datums/banking77/datum.yaml: evaluation.rubrics: weights sum to 1.4, not 1"
        in result.output
    )
    assert path.read_bytes() == before


def test_set_yaml_value(project: Path, run_cli: CliRun) -> None:
    result = run_cli("set", "banking77", "metadata.tags", "[re-bench, banking77]", "--yaml")
    assert result.exit_code == 0, result.output
    assert (
        "  tags: [re-bench, banking77]\n" in (project / "datums/banking77/datum.yaml").read_text()
    )


def test_set_creates_a_missing_section(project: Path, run_cli: CliRun) -> None:
    result = run_cli("set", "banking77", "environment.env.LANG", "C.UTF-8")
    assert result.exit_code == 0, result.output
    assert "    LANG: C.UTF-8\n" in (project / "datums/banking77/datum.yaml").read_text()


def test_set_with_a_missing_value_is_a_usage_error(run_cli: CliRun) -> None:
    result = run_cli("set", "banking77", "repo.branch", "main", "repo.subdir")
    assert result.exit_code == 2
    assert "the last FIELD has no VALUE" in result.output


def test_set_with_a_bad_field_path(run_cli: CliRun) -> None:
    result = run_cli("set", "banking77", "repo..sha", "x")
    assert result.exit_code == 1
    assert "'repo..sha' is not a field path" in result.output


def test_roundtrip_without_edit_is_byte_identical() -> None:
    text = (
        b"# head comment\na: 1   # trailing\nb:\n- x\n- y\nc: |\n  block\n  scalar\nd: 'quoted'\n"
    )
    assert load_roundtrip(text, file="f.yaml").dump() == text


def test_four_space_indentation_is_kept() -> None:
    text = b"repo:\n    git_url: x  # url\n    sparse_checkout:\n        - a\n"
    document = load_roundtrip(text, file="f.yaml")
    set_field(document.data, ["repo", "git_url"], "y")
    assert document.dump() == b"repo:\n    git_url: y  # url\n    sparse_checkout:\n        - a\n"


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_roundtrip(b"a: 1\nb: [unclosed\n", file="datums/x/datum.yaml")
    assert str(caught.value).startswith("datums/x/datum.yaml: line 3, column 1: ")
    assert str(caught.value).endswith("(fix the YAML syntax)")


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_roundtrip(b"a: 1\na: 2\n", file="f.yaml")
    assert "a key appears twice" in str(caught.value)


def test_field_paths_round_trip() -> None:
    path = "evaluation.rubrics[1].weight"
    assert parse_field_path(path) == ["evaluation", "rubrics", 1, "weight"]
    assert format_field_path(parse_field_path(path)) == path
    for bad in ("", ".a", "a.", "a[x]", "[0]", "a..b", "a[0]b"):
        with pytest.raises(DatumError):
            parse_field_path(bad)


def _layout_cases() -> list[tuple[str, bytes]]:
    from datumkit.cli.commands.new import new_datum_yaml

    data = Path(__file__).resolve().parent / "data"
    repo = Path(__file__).resolve().parent.parent
    return [
        ("skeleton", new_datum_yaml("skeleton")),
        ("banking77", (repo / "datums/banking77/datum.yaml").read_bytes()),
        ("minimal", (data / "minimal/datum.yaml").read_bytes()),
        ("full", (data / "full/datum.yaml").read_bytes()),
    ]


@pytest.mark.parametrize(("name", "text"), _layout_cases(), ids=[c[0] for c in _layout_cases()])
def test_repeated_sets_never_reindent_lines_they_do_not_edit(
    name: str, text: bytes, project: Path, run_cli: CliRun
) -> None:
    task_id = next(
        line.split(":", 1)[1].split("#")[0].strip()
        for line in text.decode().splitlines()
        if line.startswith("task_id:")
    )
    directory = project / "datums" / task_id.removeprefix("re-bench-")
    directory.mkdir(exist_ok=True)
    path = directory / "datum.yaml"
    path.write_bytes(text)
    before = text.decode().splitlines()
    for round_ in range(5):
        result = run_cli(
            "set", directory.name, "metadata.title", f"Title {round_}", "--allow-invalid"
        )
        assert result.exit_code == 0, result.output
    after = path.read_text().splitlines()
    assert len(after) == len(before)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1, changed
    assert "Title 4" in changed[0][1]
