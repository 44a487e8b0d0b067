"""Run functions in forked children of one warm process, and SIGKILL them at chosen moments.

Starting Python and importing the app takes seconds here, so a test that kills a process 20
times would spend most of its time importing. `Forker` starts one process
(`python -m tests.forked MODULE...`) that imports the modules once; each `start` forks a child
of it that runs `module:function(*args)` with stdout and stderr in a file. `finish(kill=True)`
has that process SIGKILL its own child, which it has not reaped yet, so the pid can never
belong to another process. Commands and answers are JSON lines on the process' stdin/stdout.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class Forker:
    def __init__(self, preload: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.forked", *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )
        assert self._read() == {"ready": True}

    def _send(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fork server ended")
        return dict(json.loads(line))

    def start(self, target: str, args: list[str], out: Path) -> int:
        """Fork a child that runs `module:function(*args)`; its output goes to `out`."""
        return int(self._send({"run": target, "args": args, "out": str(out)})["pid"])

    def finish(self, kill: bool) -> int:
        """SIGKILL the child (when `kill`) and reap it: its exit code, -9 when killed."""
        return int(self._send({"kill": kill})["status"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> Forker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _child(target: str, args: list[str], out: str) -> None:
    code = 0
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        module, function = target.split(":")
        result = getattr(importlib.import_module(module), function)(*args)
        code = result if isinstance(result, int) else 0
    except SystemExit as exc:  # a CLI ends with SystemExit
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - whatever it was goes to the child's output
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(preload: list[str]) -> None:
    for module in preload:
        importlib.import_module(module)
    reply = sys.stdout

    def answer(data: dict[str, Any]) -> None:
        reply.write(json.dumps(data) + "\n")
        reply.flush()

    answer({"ready": True})
    child = 0
    for line in sys.stdin:
        command = json.loads(line)
        if "run" in command:
            sys.stdout.flush()
            sys.stderr.flush()
            child = os.fork()
            if child == 0:
                _child(command["run"], command["args"], command["out"])
            answer({"pid": child})
        else:
            if command["kill"]:
                os.kill(child, signal.SIGKILL)  # our unreaped child: its pid is still ours
            _, status = os.waitpid(child, 0)
            answer({"status": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main(sys.argv[1:])
