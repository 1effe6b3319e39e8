"""Research-bench eval configs: one TOML file per datum, from a template the repository keeps.

The seed guide's Phase 7 copies `research_bench/eval_configs/banking77.toml` by hand for every
new datum and edits it. Here a datum repository names a template in pyproject.toml:

    [tool.datumkit]
    eval_config_template = "research_bench/eval_config.toml.tmpl"
    eval_config_dir = "research_bench/eval_configs"        # default: eval_configs

and `datum generate` writes `<eval_config_dir>/<name>.toml` for each datum (GENERATED: `datum
check` fails when it drifts). A placeholder `{{ field.path }}` stands where a TOML *value* goes
(`title = {{ metadata.title }}`) and becomes that datum field as a TOML value (string, number,
boolean or array), so no datum text can break out of its string (ARCHITECTURE.md invariant 6).
Besides datum.yaml's field paths, `{{ name }}` is the datum's directory name. The result must
parse as TOML; a placeholder naming no field, or a field with no value, is an error naming the
template's line. Comment lines of the template are copied as they are.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from datumkit.errors import DatumError
from datumkit.model.datumdir import DATUM_YAML, DatumSource

SETTINGS_FILE = "pyproject.toml"
DEFAULT_DIR = "eval_configs"
MAX_TEMPLATE_BYTES = 1024 * 1024
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|\[\d+\])*)\s*\}\}")
_STEP = re.compile(r"\.?([A-Za-z0-9_]+)|\[(\d+)\]")


@dataclass(frozen=True)
class EvalConfigSettings:
    """Where the template is and where configs go, both relative to the repository root."""

    template: str
    directory: str

    def output(self, name: str) -> str:
        return f"{self.directory.rstrip('/')}/{name}.toml"


def _relative(value: Any, key: str, file: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DatumError("is not a path", file=file, location=key, hint="a path in the repository")
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or "\\" in value:
        raise DatumError(
            f"{value!r} leaves the repository",
            file=file,
            location=key,
            hint="use a relative path with '/' separators and no '..'",
        )
    return value


def load_settings(root: Path) -> EvalConfigSettings | None:
    """`[tool.datumkit] eval_config_template` and `eval_config_dir`, or None when not set."""
    # os calls on a string: `check --all` asks for every datum, and pathlib's objects cost
    # more than the two system calls (what Path.is_file and Path.read_text did)
    path = str(root / SETTINGS_FILE)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
    except (OSError, ValueError):
        return None
    with open(path, "rb") as handle:
        raw = handle.read()
    try:  # read_text's universal newlines, so the text parsed is what it was
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return None  # the mirrors reader reports a broken pyproject.toml
    return _settings(text, path)


@functools.lru_cache(maxsize=8)
def _settings(text: str, file: str) -> EvalConfigSettings | None:
    """The settings in pyproject.toml's `text`: parsed once per process, not once per datum
    (`check --all` asks for every datum; the file is read each time, so an edit is seen)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None  # the mirrors reader reports a broken pyproject.toml
    tool = document.get("tool", {}).get("datumkit", {})
    if not isinstance(tool, dict) or "eval_config_template" not in tool:
        return None
    template = _relative(tool["eval_config_template"], "tool.datumkit.eval_config_template", file)
    directory = _relative(
        tool.get("eval_config_dir", DEFAULT_DIR), "tool.datumkit.eval_config_dir", file
    )
    return EvalConfigSettings(template, directory)


def read_template(root: Path, settings: EvalConfigSettings) -> str:
    path = root / settings.template
    if not path.resolve().is_relative_to(root.resolve()) or not path.is_file():
        raise DatumError(
            "missing",
            file=settings.template,
            hint="create the template, or fix tool.datumkit.eval_config_template",
        )
    if path.stat().st_size > MAX_TEMPLATE_BYTES:
        raise DatumError(f"larger than {MAX_TEMPLATE_BYTES} bytes", file=settings.template)
    return path.read_text("utf-8")


def _lookup(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for key, index in _STEP.findall(path):
        if key:
            if not isinstance(value, dict) or key not in value:
                raise KeyError(path)
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(path)
            value = value[int(index)]
    return value


def _toml_value(value: Any) -> str:
    """`value` as one TOML value (tomli-w's quoting), never as TOML syntax of its own."""
    rendered = tomli_w.dumps({"v": value}, multiline_strings=False)
    if not rendered.startswith("v = "):
        raise TypeError(type(value).__name__)
    return rendered[len("v = ") :].rstrip("\n")


def render_eval_config(source: DatumSource, template: str, settings: EvalConfigSettings) -> bytes:
    """The eval config of one datum: the template with every placeholder filled, as TOML."""
    document = {"name": source.name, **source.datum.model_dump(mode="json")}
    lines = [
        f"# GENERATED by datumkit from {source.display(DATUM_YAML)} and {settings.template}.",
        f"# Do not edit: change the template or datum.yaml and run `datum generate {source.name}`.",
    ]
    for number, line in enumerate(template.splitlines(), 1):

        def fill(match: re.Match[str], number: int = number) -> str:
            path = match.group(1)
            try:
                value = _lookup(document, path)
            except KeyError:
                raise DatumError(
                    f"{{{{ {path} }}}} names no field of datum {source.name}",
                    file=settings.template,
                    location=f"line {number}",
                    hint="use a datum.yaml field path, e.g. metadata.title, or name",
                ) from None
            try:
                return _toml_value(value)
            except TypeError:
                raise DatumError(
                    f"{{{{ {path} }}}} has no value in datum {source.name}",
                    file=settings.template,
                    location=f"line {number}",
                    hint="set the field in datum.yaml, or use another placeholder",
                ) from None

        # comment lines are copied as they are: they may explain the placeholders
        lines.append(line if line.lstrip().startswith("#") else _PLACEHOLDER.sub(fill, line))
    text = "\n".join(lines) + "\n"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DatumError(
            f"does not give valid TOML for datum {source.name}: {exc}",
            file=settings.template,
            hint="put each {{ placeholder }} where a TOML value goes: key = {{ metadata.title }}",
        ) from None
    return text.encode("utf-8")


def expected_eval_config(root: Path, source: DatumSource) -> tuple[str, bytes] | None:
    """(path relative to the repository root, bytes) of the datum's eval config, or None when
    the repository has no template."""
    settings = load_settings(root)
    if settings is None:
        return None
    template = read_template(root, settings)
    return settings.output(source.name), render_eval_config(source, template, settings)
