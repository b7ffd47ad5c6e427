"""Run pytest from a warm process: the libraries are imported once, each run is a fork.

    python scripts/pytest_forkserver.py serve SOCKET MODULE.py TESTFILE...  # then waits
    python scripts/pytest_forkserver.py run SOCKET PYTEST-ARGS...  # one pytest run

Mutation testing runs the same few tests once per mutant; most of each run is importing
SQLAlchemy, Arrow, ibis, Alembic and the project (about 8 s of CPU out of 10 on 2 shared
cores). ``serve`` imports the given test files once. Each run is a fork that forgets the
mutated module ``MODULE.py``, the tests and every project module whose source names a
forgotten module (so none keeps a reference to the unmutated code), imports
them again from disk and runs ``pytest.main``; the libraries and the rest of the project stay
loaded. ``run`` hands its stdout and stderr to the server; its exit code is the child's.
Without a server (no socket) ``run`` runs pytest itself. A run whose client goes away
(cosmic-ray's timeout) is killed.
"""

from __future__ import annotations

import array
import ast
import contextlib
import json
import os
import select
import signal
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _project_module(module: object) -> bool:
    path = getattr(module, "__file__", None) or ""
    return path.startswith((str(ROOT / "src"), str(ROOT / "tests")))


def _imports(path: str) -> set[str]:
    """Modules a source file imports (anywhere in it), and the dotted names among its strings
    (lazy imports by name), docstrings left out."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and node.value.startswith("sobrenum.")
        ):
            found.add(node.value)
    return found


#: Where the ORM classes register: a table module imported again needs a fresh registry.
ORM_BASE = "sobrenum.store.models"


def _stale(target: str) -> set[str]:
    """The loaded project modules to import again: ``target``, the tests, and every project
    module that imports one of them (the ORM base too when a table module is among them)."""
    imports = {
        name: _imports(module.__file__ or "")
        for name, module in sys.modules.items()
        if _project_module(module)
    }
    stale = {n for n in imports if n == target or not n.startswith("sobrenum")}
    grown = True
    while grown:
        grown = False
        if ORM_BASE not in stale and any(ORM_BASE in imports[n] for n in stale):
            stale.add(ORM_BASE)
        for name, used in imports.items():
            if name not in stale and used & stale:
                stale.add(name)
                grown = True
    return stale


def serve(path: str, target: str, warm: list[str]) -> None:
    sys.dont_write_bytecode = True  # a mutant's bytecode must never be reused
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]
    import importlib

    import pytest  # noqa: F401  (kept loaded for the children)

    for name in warm:
        importlib.import_module(Path(name).stem)
    module = ".".join(Path(target).with_suffix("").parts[1:])  # src/a/b.py → a.b
    for name in _stale(module):
        stale = sys.modules.pop(name)
        # « from package import module » reads the package's attribute before sys.modules.
        package, _, attribute = name.rpartition(".")
        if getattr(sys.modules.get(package), attribute, None) is stale:
            delattr(sys.modules[package], attribute)
    del sys.path[:2]
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    print(f"pytest_forkserver: prêt ({path})", flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            _one_run(conn)


def _one_run(conn: socket.socket) -> None:
    message, fds, _, _ = socket.recv_fds(conn, 1 << 16, 2)
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:  # the child: the client's output, its directory, a fresh pytest
        conn.close()
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        os.chdir(request["cwd"])
        import pytest

        code = pytest.main(request["args"])
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    for fd in fds:
        os.close(fd)
    status = None
    while status is None:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
            break
        ready, _, _ = select.select([conn], [], [], 0.05)
        if ready and not conn.recv(1):  # the client is gone: stop its run
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return
    with contextlib.suppress(OSError):  # the client may be gone
        conn.sendall(str(status).encode())


def run(path: str, args: list[str]) -> int:
    if not os.path.exists(path):
        import pytest

        return int(pytest.main(args))
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    message = json.dumps({"args": args, "cwd": os.getcwd()}).encode()
    socket.send_fds(client, [message], array.array("i", [1, 2]).tolist())
    answer = b""
    while chunk := client.recv(64):
        answer += chunk
    return int(answer or b"1")


if __name__ == "__main__":
    command, socket_path, *rest = sys.argv[1:]
    if command == "serve":
        serve(socket_path, rest[0], rest[1:])
    else:
        sys.exit(run(socket_path, rest))
