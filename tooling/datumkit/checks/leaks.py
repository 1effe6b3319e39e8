"""The `leaks` check: nothing the agent is given contains the answer (ARCHITECTURE.md inv. 7).

Static and fast: it reads the datum's files and diff.patch, and the mirror only when it must.

- the Dockerfile's `baseline` stage (the agent's environment) copies nothing from the build
  context (no COPY/ADD, no bind mount, no mention of diff.patch);
- no overlay file (overlay_files/ and the `overlay_extras` they come from) is a file the patch
  adds or changes, in its patched form;
- no text the agent or grader is shown quotes the solution: the datum.yaml fields copied into
  tb_meta.json (title, summary, instructions, rubric texts) and the overlay extras. A quote is
  an added line of diff.patch with at least 30 non-blank characters, found verbatim, that is
  not also a line of the baseline (lines the patch keeps or removes are baseline lines; any other
  is looked up in the baseline tree of the local mirror, only when it was found quoted).

Reviewed exceptions live in `datums/<name>/leaks.allowlist`, one per line with a reason:
`<sha1 of the quoted line, stripped> <file> # why the agent may see this`.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pygit2

from datumkit.checks.findings import Finding
from datumkit.errors import DatumError
from datumkit.generate.dockerfile import BASELINE_STAGE
from datumkit.generate.dockerfile import PATH as DOCKERFILE
from datumkit.git.apply import PatchResult
from datumkit.git.mirrors import MirrorLocator
from datumkit.git.patchparse import ParsedPatch, parse_patch_once
from datumkit.git.tree import TREE_MODE, hash_object, parse_tree, read_object
from datumkit.model.datumdir import DATUM_YAML, OVERLAY_DIR, DatumSource
from datumkit.model.project import Project

NAME = "leaks"
ALLOWLIST_FILE = "leaks.allowlist"
#: an added line shorter than this (non-blank characters) is too common to be the answer
MIN_CHARS = 30
#: overlay files generation writes from datum.yaml (their text is checked in datum.yaml)
GENERATED_OVERLAY = (f"{OVERLAY_DIR}/tb_meta.json", f"{OVERLAY_DIR}/box_bootstrap.sh")
#: blobs larger than this are not searched for baseline lines (data, not code)
MAX_BASELINE_BLOB = 2 * 1024 * 1024
_ENTRY = re.compile(r"^(?P<hashed>[0-9a-f]{40})\s+(?P<file>[^#\s][^#]*?)\s+#\s*(?P<reason>\S.*)$")


@dataclass(frozen=True)
class _Added:
    """One added line of the patch that could give the solution away."""

    text: bytes
    path: str
    line: int

    @property
    def hashed(self) -> str:
        return hashlib.sha1(self.text, usedforsecurity=False).hexdigest()


#: what ``rb"\s"`` matches: the bytes a non-blank count leaves out
_BLANK = b" \t\n\r\x0b\x0c"


def _non_blank(text: bytes) -> int:
    return len(text.translate(None, _BLANK))


def _added_lines(parsed: ParsedPatch, shown: bytes) -> list[_Added]:
    """The added lines worth looking for (at least MIN_CHARS non-blank characters) that are in
    `shown` (every text the agent is given, NUL-separated: a line without NUL cannot match
    across two of them; one search per line through all of them, and most are in none)."""
    added: list[_Added] = []
    for changed in parsed.files:
        for hunk in changed.hunks:
            number = hunk.new_start
            for raw in hunk.lines:
                origin = raw[:1]
                if origin == b"+":
                    text = raw[1:].strip()
                    if (
                        len(text) >= MIN_CHARS
                        and (text in shown or b"\0" in text)
                        and _non_blank(text) >= MIN_CHARS
                    ):
                        added.append(_Added(text, changed.path, number))
                    number += 1
                elif origin == b" " or origin == b"\n":
                    number += 1
    return added


def _kept_lines(parsed: ParsedPatch) -> set[bytes]:
    """The lines the patch shows as already in the baseline (context and removed lines).

    Asked only when an added line is found quoted: most datums quote none, and the set is most
    of the patch."""
    return {
        raw[1:].strip()
        for changed in parsed.files
        for hunk in changed.hunks
        for raw in hunk.lines
        if raw[:1] in (b" ", b"\n", b"-")
    }


@dataclass
class _Baseline:
    """Is a line already in the baseline? Asked only for lines found quoted; read lazily."""

    source: DatumSource
    locator: MirrorLocator | None
    parsed: ParsedPatch
    _kept: set[bytes] | None = None
    _lines: set[bytes] | None = None
    unavailable: str | None = None
    _loaded: bool = field(default=False)

    def has(self, text: bytes) -> bool:
        if self._kept is None:
            self._kept = _kept_lines(self.parsed)
        if text in self._kept:
            return True
        if not self._loaded:
            self._loaded = True
            self._lines = self._read()
        return self._lines is not None and text in self._lines

    def _read(self) -> set[bytes] | None:
        if self.locator is None:
            self.unavailable = "no mirror given"
            return None
        import pygit2

        from datumkit.model.applied import datum_mirror

        try:
            mirror = datum_mirror(self.source, self.locator)
            commit = mirror.revparse_single(self.source.datum.repo.start_commit_sha)
            tree = commit.peel(pygit2.Tree)
        except (DatumError, KeyError, ValueError, pygit2.GitError) as error:
            self.unavailable = str(error)
            return None
        lines: set[bytes] = set()
        _collect_lines(mirror, str(tree.id), lines)
        return lines


def _collect_lines(repo: pygit2.Repository, tree_id: str, lines: set[bytes]) -> None:
    for entry in parse_tree(read_object(repo, {}, tree_id)[1]).values():
        if entry.mode == TREE_MODE:
            _collect_lines(repo, entry.oid, lines)
        elif entry.mode in (0o100644, 0o100755):
            data = read_object(repo, {}, entry.oid)[1]
            if len(data) <= MAX_BASELINE_BLOB and b"\0" not in data[:8000]:
                lines.update(line.strip() for line in data.splitlines())


@dataclass(frozen=True)
class _Allowlist:
    entries: tuple[tuple[str, str, int], ...]

    def allows(self, hashed: str, relative: str) -> bool:
        return any(h == hashed and f == relative for h, f, _ in self.entries)


def _allowlist(source: DatumSource) -> tuple[_Allowlist, list[Finding]]:
    raw = source.read(ALLOWLIST_FILE)
    display = source.display(ALLOWLIST_FILE)
    entries: list[tuple[str, str, int]] = []
    problems: list[Finding] = []
    for number, line in enumerate((raw or b"").decode("utf-8", "replace").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENTRY.match(line)
        if match is None or posixpath.isabs(match["file"]) or ".." in match["file"].split("/"):
            problems.append(
                Finding(
                    NAME,
                    source.name,
                    display,
                    f"line {number}",
                    "not an exception (write '<sha1 of the line> <file in the datum> # reason'; "
                    "the leaks finding prints the line to add)",
                )
            )
            continue
        entries.append((match["hashed"], match["file"].strip(), number))
    return _Allowlist(tuple(entries)), problems


# --- the rules -------------------------------------------------------------------------------


def _dockerfile(source: DatumSource) -> Iterator[Finding]:
    """The baseline stage copies nothing from the build context and never names diff.patch."""
    raw = source.read(DOCKERFILE)
    if raw is None:
        return  # the generated check reports a missing Dockerfile
    display = source.display(DOCKERFILE)
    stage: str | None = None
    seen_baseline = False
    continued = False
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        stripped = line.strip()
        is_comment = stripped.startswith("#")
        words = stripped.split()
        if not continued and words and words[0].upper() == "FROM":
            lowered = [w.lower() for w in words]
            stage = lowered[lowered.index("as") + 1] if "as" in lowered[:-1] else ""
            seen_baseline |= stage == BASELINE_STAGE
        elif stage == BASELINE_STAGE and not is_comment and stripped:
            instruction = "" if continued else words[0].upper()
            why = None
            if instruction in ("COPY", "ADD"):
                why = f"{instruction} in the baseline stage puts build-context files there"
            elif "--mount" in stripped and ("bind" in stripped or "from=" in stripped):
                why = "a mount in the baseline stage exposes files to it"
            elif "diff.patch" in stripped:
                why = "the baseline stage names diff.patch"
            if why is not None:
                yield Finding(
                    NAME,
                    source.name,
                    display,
                    f"line {number}",
                    f"{why}; the agent's environment must not contain the solution "
                    f"(run `datum generate {source.name}`)",
                )
        if not is_comment:
            continued = stripped.endswith("\\")
    if not seen_baseline:
        yield Finding(
            NAME,
            source.name,
            display,
            None,
            "has no `baseline` stage, so the agent's environment cannot be built without the "
            f"solution (run `datum generate {source.name}`)",
        )


def _overlay_files(source: DatumSource) -> dict[str, str]:
    """Overlay file -> the datum file it is reported against (an extra's source)."""
    files: dict[str, str] = {}
    extras = {posixpath.basename(extra): extra for extra in source.datum.overlay_extras}
    for relative in source.files.list(f"{OVERLAY_DIR}/"):
        if relative in GENERATED_OVERLAY:
            continue
        files[relative] = extras.get(posixpath.basename(relative), relative)
    for extra in source.datum.overlay_extras:
        files.setdefault(extra, extra)
    return files


def _patched_blobs(
    parsed: ParsedPatch,
    source: DatumSource,
    locator: MirrorLocator | None,
    applied: PatchResult | None,
) -> dict[str, str]:
    """Blob id (or abbreviated id) -> path, for every file the patch adds or changes."""
    blobs: dict[str, str] = {}
    for changed in parsed.files:
        if changed.status != "deleted" and changed.new_id and set(changed.new_id) != {"0"}:
            blobs[changed.new_id] = changed.path
    if applied is None and locator is not None:
        from datumkit.model.applied import apply_datum_patch

        try:
            applied = apply_datum_patch(source, locator)
        except DatumError:
            applied = None  # the patch check says why
    if applied is not None:
        from datumkit.model.applied import datum_mirror

        mirror = datum_mirror(source, locator) if locator is not None else None
        if mirror is not None:
            for path in (*applied.added, *applied.modified, *applied.renamed, *applied.copied):
                oid = _lookup(mirror, applied, path)
                if oid is not None:
                    blobs[oid] = path
    return blobs


def _lookup(repo: pygit2.Repository, applied: PatchResult, path: str) -> str | None:
    tree = applied.patched_tree
    *dirs, name = path.encode("utf-8", "surrogateescape").split(b"/")
    for part in dirs:
        entry = parse_tree(read_object(repo, applied.objects, tree)[1]).get(part)
        if entry is None or entry.mode != TREE_MODE:
            return None
        tree = entry.oid
    found = parse_tree(read_object(repo, applied.objects, tree)[1]).get(name)
    return None if found is None else found.oid


def _texts(source: DatumSource, overlay: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(file in the datum, field or None, text) of everything the agent or grader is shown."""
    datum = source.datum
    yield DATUM_YAML, "metadata.title", datum.metadata.title
    yield DATUM_YAML, "metadata.summary", datum.metadata.summary
    yield DATUM_YAML, "lm.instructions", datum.lm.instructions
    for i, rubric in enumerate(datum.evaluation.rubrics):
        yield DATUM_YAML, f"evaluation.rubrics[{i}].criterion", rubric.criterion
        for j, criterion in enumerate(rubric.evaluation_criteria):
            yield DATUM_YAML, f"evaluation.rubrics[{i}].evaluation_criteria[{j}]", criterion
    for reported in sorted(set(overlay.values())):
        content = source.read(reported)
        if content is not None:
            yield reported, "", content.decode("utf-8", "replace")


def _line_of(raw: bytes | None, needle: bytes) -> int | None:
    for number, line in enumerate((raw or b"").splitlines(), 1):
        if needle in line:
            return number
    return None


def find_leaks(
    source: DatumSource, locator: MirrorLocator | None, applied: PatchResult | None = None
) -> list[Finding]:
    """Every leak of the solution into what the agent is given (see the module docstring).

    A caller that has already applied this datum's diff.patch (review) passes the
    result: its parsed patch is reused instead of parsing a second time. The patched blobs are
    looked up only when the datum has overlay files to compare with them."""
    findings = list(_dockerfile(source))
    allow, problems = _allowlist(source)
    findings += problems
    patch = source.patch
    if patch is None:
        return findings
    parsed = applied.parsed if applied is not None else None
    if parsed is None:
        try:
            parsed = parse_patch_once(patch)
        except DatumError:
            return findings  # the patch check reports a patch that does not parse
    overlay = _overlay_files(source)
    blobs = _patched_blobs(parsed, source, locator, applied) if overlay else {}
    whole: set[str] = set()
    for relative, reported in sorted(overlay.items()):
        content = source.read(relative)
        if content is None or reported in whole:
            continue
        oid = hash_object("blob", content)
        path = next((p for b, p in blobs.items() if oid.startswith(b) or b == oid), None)
        if path is not None:
            whole.add(reported)
            findings.append(
                Finding(
                    NAME,
                    source.name,
                    source.display(reported),
                    None,
                    f"is {path} as the patch leaves it: the agent would get the solution "
                    f"(remove it from overlay_extras)",
                )
            )
    baseline = _Baseline(source, locator, parsed)
    used: set[tuple[str, str]] = set()
    reported_lines: set[tuple[str, int | None, str, bytes]] = set()
    shown = [
        (relative, where, text.encode("utf-8", "surrogateescape"))
        for relative, where, text in _texts(source, overlay)
    ]
    added = _added_lines(parsed, b"\0".join(encoded for _, _, encoded in shown))
    for relative, where, encoded in shown:
        for candidate in added:
            if candidate.text not in encoded or baseline.has(candidate.text):
                continue
            if allow.allows(candidate.hashed, relative):
                used.add((candidate.hashed, relative))
                continue
            raw = source.read(relative)
            line = _line_of(raw, candidate.text)
            key = (relative, line, where, candidate.text)
            if key in reported_lines:
                continue
            reported_lines.add(key)
            location = f"line {line}" if line is not None else where
            if line is not None and where:
                location += f" ({where})"
            preview = candidate.text.decode("utf-8", "replace")
            preview = preview if len(preview) <= 60 else preview[:57] + "..."
            caveat = (
                f"; the baseline could not be read to rule out that it was already there: "
                f"{baseline.unavailable}"
                if baseline.unavailable
                else ""
            )
            findings.append(
                Finding(
                    NAME,
                    source.name,
                    source.display(relative),
                    location,
                    f"quotes the solution: diff.patch adds {preview!r} to {candidate.path} "
                    f"line {candidate.line}{caveat} (rewrite it; if the agent may see it, add "
                    f"`{candidate.hashed} {relative} # <why>` to "
                    f"{source.display(ALLOWLIST_FILE)})",
                )
            )
    for hashed, relative, number in allow.entries:
        if (hashed, relative) not in used:
            findings.append(
                Finding(
                    NAME,
                    source.name,
                    source.display(ALLOWLIST_FILE),
                    f"line {number}",
                    "allows a quote that is no longer there (delete the entry)",
                    "warning",
                )
            )
    return findings


def run(source: DatumSource, context: Project) -> Iterable[Finding]:
    return find_leaks(source, context.locator())
