"""Creating a whole datum directory at once: build it aside, then move it into place.

Import (and later bundle) create several files; a failure halfway must not leave a datum that
looks real but is missing half its files. The directory is assembled next to its final place
(same filesystem, so the rename is atomic) and renamed only when complete. With `replace`, the
old directory stays in place until the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def staged_directory(final: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield an empty directory to fill; on success it becomes `final`, on error it vanishes."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-", dir=final.parent))
    try:
        yield staging
        if final.exists():
            if not replace:
                raise FileExistsError(final)
            retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
            os.replace(final, retired / final.name)
            os.replace(staging, final)
            shutil.rmtree(retired)
        else:
            os.replace(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
