"""Run a generated Dockerfile's shell steps without Docker, inside a sandbox directory.

No Docker engine runs where these tests run, yet the parts of the Dockerfile that matter most to
a datum (fetch exactly the baseline and forget everything after it, verify HEAD, apply the patch
and fail when it does not apply) are plain shell and git. This executes those steps for real,
with absolute image paths mapped into a sandbox; package installation (apt-get, pip) is skipped
because it needs the base image.

Stages are followed like `docker build --target`: stages run in order (a `FROM <stage>` continues
in the same sandbox, which is what building on top of that stage's file system means) and the
build stops after the target stage. Every file a stage COPYs is recorded in `copied`, so a test
can assert that the baseline stage took nothing from the build context.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

SKIPPED_PREFIXES = ("apt-get", "pip ", "python ")


@dataclass
class SimulatedBuild:
    sandbox: Path
    context: Path
    build_args: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    #: extra environment for RUN steps (e.g. a git client configuration)
    run_env: dict[str, str] = field(default_factory=dict)
    #: (stage, image path) of every COPY executed
    copied: list[tuple[str, str]] = field(default_factory=list)
    #: stderr of every RUN executed, in order
    stderr: list[bytes] = field(default_factory=list)

    def path(self, image_path: str) -> Path:
        return self.sandbox / image_path.lstrip("/")

    def run(self, dockerfile: bytes, target: str | None = None) -> Path:
        """Execute the Dockerfile up to `target` (default: the last stage); return the final
        working directory; raise CalledProcessError on a failing step."""
        parser = DockerfileParser(fileobj=io.BytesIO(dockerfile))
        stages: list[str] = []
        env: dict[str, str] = {}
        workdir = self.sandbox
        for instruction in parser.structure:
            kind, value = instruction["instruction"], instruction["value"]
            if kind == "FROM":
                if target is not None and target in stages:
                    break
                words = value.split()
                stages.append(words[2] if len(words) == 3 and words[1].upper() == "AS" else "")
            elif kind == "ARG":
                name, _, default = value.partition("=")
                env[name] = self.build_args.get(name, shlex.split(default)[0] if default else "")
            elif kind == "ENV":
                for assignment in shlex.split(value):
                    key, _, val = assignment.partition("=")
                    env[key] = val
            elif kind == "WORKDIR":
                workdir = self.path(value)
                workdir.mkdir(parents=True, exist_ok=True)
            elif kind == "COPY":
                source, destination = value.split()
                self.path(destination).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(self.context / source, self.path(destination))
                self.copied.append((stages[-1], destination))
            elif kind == "RUN":
                if value.startswith(SKIPPED_PREFIXES):
                    self.log.append(f"skipped: {value[:40]}")
                    continue
                script = value.replace("/tmp/datumkit/", f"{self.sandbox}/tmp/datumkit/")
                result = subprocess.run(
                    ["sh", "-c", script],
                    cwd=workdir,
                    env={**os.environ, **self.run_env, **env},
                    check=True,
                    capture_output=True,
                )
                self.stderr.append(result.stderr)
                self.log.append(f"ran: {value[:40]}")
        if target is not None and target not in stages:
            raise ValueError(f"no stage {target!r} in the Dockerfile")
        return workdir
