"""A stand-in `docker` command for testing `datum test --docker`'s flow where no engine runs.

It implements the six subcommands the Docker runner uses, with the image's filesystem played by
a directory: `build` materializes the datum's baseline (`--target baseline` or `--build-arg
APPLY_PATCH=0`) or patched tree with `datum materialize`; `create`/`start` run the container's
script with its absolute paths (/app, /tmp, /datumkit-in) mapped into a per-container
directory; `cp` copies out of it. Every call is logged, so tests can assert the exact builds.
Nothing here is a container: it proves datumkit's side of the protocol, not Docker's.
"""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPT = r"""#!{python}
import json, os, shutil, subprocess, sys, uuid
from pathlib import Path

home = Path({home!r})
args = sys.argv[1:]
with open(home / "calls.log", "a") as log:
    log.write(json.dumps(args) + "\n")
command, rest = args[0], args[1:]
if command == "info":
    print("28.0-fake")
elif command == "build":
    tag = rest[rest.index("-t") + 1]
    context = Path(rest[-1])
    baseline = ("--target" in rest and rest[rest.index("--target") + 1] == "baseline") or (
        "APPLY_PATCH=0" in rest)
    image = home / "images" / tag.replace("/", "_").replace(":", "_")
    shutil.rmtree(image, ignore_errors=True)
    root = context.parent.parent
    cli = [sys.executable, "-c", "from datumkit.cli.main import main; main()"]
    done = subprocess.run(cli + ["--root", str(root), "materialize", context.name,
                          str(image / "app")] + (["--baseline"] if baseline else []),
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
elif command == "create":
    mount = rest[rest.index("-v") + 1].split(":")[0]
    image_tag, script = rest[rest.index("-v") + 2], rest[-1]
    cid = uuid.uuid4().hex[:12]
    box = home / "containers" / cid
    shutil.copytree(home / "images" / image_tag.replace("/", "_").replace(":", "_"), box)
    (box / "tmp").mkdir()
    script = script.replace("/tmp/datumkit-", str(box / "tmp") + "/datumkit-")
    script = script.replace("/datumkit-in/", mount + "/")
    script = script.replace("cd '/app'", "cd " + str(box / "app")).replace(
        "cd /app", "cd " + str(box / "app"))
    (box / "script.sh").write_text(script)
    print(cid)
elif command == "start":
    box = home / "containers" / rest[-1]
    env = {{"PATH": os.environ["PATH"], "HOME": str(box)}}
    done = subprocess.run(["/bin/sh", str(box / "script.sh")], env=env)
    sys.exit(done.returncode)
elif command == "cp":
    cid, _, remote = rest[0].partition(":")
    box = home / "containers" / cid
    local = Path(rest[1])
    source = box / remote.lstrip("/")
    if remote.endswith("/."):
        shutil.copytree(box / remote[1:-2], local)
    elif source.exists():
        shutil.copy(source, local)
    else:
        sys.exit("no such file")
elif command in ("rm", "kill"):
    shutil.rmtree(home / "containers" / rest[-1], ignore_errors=True)
else:
    sys.exit("fake docker: unknown command " + command)
"""


def install_fake_docker(bin_dir: Path, home: Path) -> Path:
    """Write the fake `docker` into `bin_dir`; its state and call log live in `home`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "docker"
    path.write_text(SCRIPT.format(python=sys.executable, home=str(home)))
    path.chmod(0o755)
    return path
