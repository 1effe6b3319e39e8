"""Run a generated Dockerfile's shell steps without Docker, inside a sandbox directory.

No Docker engine runs where these tests run, yet the parts of the Dockerfile that matter most to
a datum (fetch exactly the baseline, verify HEAD, apply the patch and fail when it does not apply)
are plain shell and git. This executes those steps for real, with absolute image paths mapped into
a sandbox; package installation (apt-get, pip) is skipped because it needs the base image.
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

    def path(self, image_path: str) -> Path:
        return self.sandbox / image_path.lstrip("/")

    def run(self, dockerfile: bytes) -> Path:
        """Execute the Dockerfile; return the final working directory; raise on a failing step."""
        parser = DockerfileParser(fileobj=io.BytesIO(dockerfile))
        env: dict[str, str] = {}
        workdir = self.sandbox
        for instruction in parser.structure:
            kind, value = instruction["instruction"], instruction["value"]
            if kind == "ARG":
                name, _, default = value.partition("=")
                env[name] = self.build_args.get(name, shlex.split(default)[0] if default else "")
            elif kind == "ENV":
                env.update(parser.envs)
            elif kind == "WORKDIR":
                workdir = self.path(value)
                workdir.mkdir(parents=True, exist_ok=True)
            elif kind == "COPY":
                source, destination = value.split()
                self.path(destination).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(self.context / source, self.path(destination))
            elif kind == "RUN":
                if value.startswith(SKIPPED_PREFIXES):
                    self.log.append(f"skipped: {value[:40]}")
                    continue
                script = value.replace("/tmp/datumkit/", f"{self.sandbox}/tmp/datumkit/")
                subprocess.run(
                    ["sh", "-c", script],
                    cwd=workdir,
                    env={**os.environ, **env},
                    check=True,
                    capture_output=True,
                )
                self.log.append(f"ran: {value[:40]}")
        return workdir
