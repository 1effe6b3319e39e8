"""`datum generate NAME...|--all`: write every GENERATED file of the given datums.

datum.lock needs the datum's patch applied to its baseline, so it is written only when the mirror
is present; without it the other files are still generated and the lock is left as it is (with a
warning: `datum check` will say whether it is stale).
"""

from __future__ import annotations

from datumkit.cli.commands import EXIT_FINDINGS, EXIT_OK
from datumkit.cli.output import report_error, say, warn
from datumkit.errors import DatumError
from datumkit.fsio import write_atomic
from datumkit.generate.datum import generate_datum
from datumkit.generate.evalconfig import expected_eval_config
from datumkit.generate.writer import write_outputs
from datumkit.git.mirrors import MirrorLocator, SourceError
from datumkit.model.datumdir import LOCK_FILE, DatumSource
from datumkit.model.project import Project


def _outputs(source: DatumSource, locator: MirrorLocator) -> tuple[dict[str, bytes], bool]:
    """Everything to write, and whether the datum's patch is fine (False: report, exit 1)."""
    generated = generate_datum(source, locator)
    problem = generated.lock_problem
    if isinstance(problem, SourceError):
        warn(f"{source.display(LOCK_FILE)}: not updated: {problem.detail}")
    elif problem is not None:
        report_error(problem)
        warn(f"{source.display(LOCK_FILE)}: not updated until the patch applies")
        return generated.files, False
    return generated.files, True


def generate(project: Project, names: list[str]) -> int:
    """Generate each datum; an invalid datum is reported and skipped, the others still run."""
    locator = project.locator()
    failed = 0
    for name in names:
        try:
            source = project.load(name)
            outputs, patch_ok = _outputs(source, locator)
            changed = write_outputs(project.directory(name), outputs)
            config = expected_eval_config(project.root, source)
            if config is not None and write_atomic(project.root / config[0], config[1]):
                say(f"wrote {config[0]}")
        except DatumError as error:
            report_error(error)
            failed += 1
            continue
        failed += 0 if patch_ok else 1
        for path in changed:
            say(f"wrote {source.display(path)}")
        if not changed:
            say(f"{source.directory}: up to date")
    return EXIT_FINDINGS if failed else EXIT_OK
