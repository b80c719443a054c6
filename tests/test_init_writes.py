"""`policyctl init` writes no file through a link made after its check, and a write failing partway
leaves the folder as it was (engine.commands.init).

It checked every path first, then made folders with `os.makedirs` and files by path: a link put in
between was followed (the starter written wherever it pointed), and a full disk partway left part of
the starter behind with a traceback. Each case lists everything under the folder (links not
followed) and the folder a link points to, before and after.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support import ROOT, listing, run_cli

# A repository already started: its own files, an empty folder the starter writes into, one with a file
MINE = {
    ".git/HEAD": "ref: refs/heads/main\n",
    "README.md": "# mine\n",
    ".gitignore": "*.pyc\n",
    ".github/ISSUE_TEMPLATE/bug.md": "mine\n",
    "policies/": "",
}
REMOVED = "policyctl: removed the {n} files and folders init had made; nothing else was touched\n"


def _started(tmp_path: Path) -> tuple[Path, Path]:
    """(a started repository holding MINE, an empty folder beside it for links to point to)."""
    top, outside = tmp_path / "repo", tmp_path / "outside"
    outside.mkdir()
    for rel, text in MINE.items():
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir() if rel.endswith("/") else path.write_text(text, encoding="utf-8")
    return top, outside


def _failing_write(monkeypatch: pytest.MonkeyPatch, fails: Callable[[int, bytes], bool]) -> None:
    """os.write fails with a full disk on the call ``fails(n, data)`` says (n counts from 1)."""
    real, calls = os.write, [0]

    def write(fd: int, data: bytes | memoryview) -> int:
        calls[0] += 1
        if fails(calls[0], bytes(data)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize(
    ("fails", "path", "made"),
    [
        (lambda n, data: n == 1, ".github/workflows/policy.yml", 2),  # (the workflows folder, the file)
        (lambda n, data: n == 6, "policies/returns/locales/de.po", 11),
        (lambda n, data: n == 19, "schemas/tests.schema.json", 28),  # the last file (of 19 and 9 folders)
        (lambda n, data: data.startswith(b"\n# policyctl init"), ".gitignore", 28),  # its lines appended
    ],
    ids=["first", "sixth", "last", "gitignore"],
)
def test_a_write_failing_partway_removes_exactly_what_init_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: Callable[[int, bytes], bool], path: str, made: int
) -> None:
    """A full disk partway: exit 1, the path and the reason, no traceback; the files and folders
    init made are removed, the repository's own (an empty policies/, .github/ with a file, the
    .gitignore whose lines were being appended) are as they were."""
    top, _ = _started(tmp_path)
    before = listing(top)
    _failing_write(monkeypatch, fails)
    result = run_cli("init", str(top), "--no-build")
    assert result.code == 1, result
    assert result.err == f"policyctl: cannot write {top / path}: No space left on device\n" + REMOVED.format(n=made)
    assert result.out == "" and listing(top) == before


def test_a_real_write_failing_partway_leaves_nothing_behind(tmp_path: Path) -> None:
    """The same with the operating system's own failure (a file size limit: each starter file over
    it fails with "File too large"), in a process of its own; a new folder init made is removed too."""
    top = tmp_path / "new" / "repo"
    limit = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
        " resource.setrlimit(resource.RLIMIT_FSIZE, (700, 700)); from engine.cli import main;"
        " main(sys.argv[1:], prog_name='policyctl')"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", limit, "init", str(top), "--no-build"], capture_output=True, env=env)
    err = run.stderr.decode()
    assert run.returncode == 1 and "Traceback" not in err, err
    assert err.startswith(f"policyctl: cannot write {top}/") and ": File too large\n" in err, err
    assert err.endswith("files and folders init had made; nothing else was touched\n"), err
    assert list(tmp_path.iterdir()) == []


# A link that appears after init's check, at the place of a folder of the repository's own (`policies`,
# empty), of a folder init makes (`schemas`) or of a file it writes (`policyctl.toml`): (its path,
# where it points, what is there then)
RACES = [
    ("policies", "../outside", {"policies": "-> ../outside"}),
    ("schemas", "../outside", {"schemas": "-> ../outside"}),
    ("policyctl.toml", "../outside/config", {"policyctl.toml": "-> ../outside/config"}),
]


@pytest.mark.parametrize(("rel", "points", "after"), RACES, ids=[r[0] for r in RACES])
def test_a_link_made_after_the_check_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rel: str, points: str, after: dict[str, str]
) -> None:
    """The link is made when init makes its first folder (after every path was checked): init
    stops there with exit 1 and removes what it made; nothing is written where the link points,
    and the link, not init's, stays."""
    top, outside = _started(tmp_path)
    before = listing(top)
    real = os.mkdir
    planted: list[str] = []

    def mkdir(path: str, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        if not planted:
            planted.append(rel)
            if (top / rel).is_dir():
                os.rmdir(top / rel)
            (top / rel).symlink_to(points)
        real(path, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "mkdir", mkdir)
    result = run_cli("init", str(top), "--no-build")
    assert planted and result.code == 1, result
    assert result.err.startswith(
        f"policyctl: cannot write {top / rel}: a link, file or folder appeared there while policyctl init ran"
        " (it writes through no link, over nothing)\npolicyctl: removed the "
    ), result
    assert result.err.endswith("files and folders init had made; nothing else was touched\n"), result
    expected = {k: v for k, v in before.items() if not k.startswith(rel)} | after
    assert listing(top) == expected and list(outside.iterdir()) == []


def _swapped_after_the_check(monkeypatch: pytest.MonkeyPatch, path: Path, there: str, points: Path) -> dict[str, str]:
    """Put ``there`` ("a link" to ``points``, "a folder", "a named pipe") at ``path`` right after
    init's check that a plain file stands there (through os.path.isfile); the listing of
    ``path``'s repository then (filled in when the swap is made)."""
    real, then = os.path.isfile, dict[str, str]()

    def isfile(checked: str) -> bool:
        found = real(checked)
        if os.path.normpath(checked) == str(path) and not then:
            path.unlink()
            if there == "a link":
                path.symlink_to(points)
            elif there == "a folder":
                path.mkdir()
            else:
                os.mkfifo(path)
            then.update(listing(path.parent if path.name == ".gitignore" else path.parent.parent))
        return found

    monkeypatch.setattr(os.path, "isfile", isfile)
    return then


SWAPS = [
    "a link",
    "a folder",
    pytest.param("a named pipe", marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")),
]
APPEARED = " a link, file or folder appeared there while policyctl init ran (it writes through no link, over nothing)\n"


@pytest.mark.parametrize("there", SWAPS)
def test_a_gitignore_swapped_after_the_check_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, there: str
) -> None:
    """The .gitignore was read by path after the check: a link put there meanwhile was followed, and
    a folder gave a traceback (IsADirectoryError). Now it is opened as it is appended to, no link
    followed, and only a plain file is read (a named pipe is not waited on): exit 1, nothing made."""
    top, outside = _started(tmp_path)
    (outside / "theirs").write_text("*.pyc\n", encoding="utf-8")
    then = _swapped_after_the_check(monkeypatch, top / ".gitignore", there, outside / "theirs")
    result = run_cli("init", str(top), "--no-build")
    assert result.code == 1 and result.out == "", result
    assert result.err == f"policyctl: cannot write {top / '.gitignore'}:" + APPEARED + REMOVED.format(n=0), result
    assert then and listing(top) == then and listing(outside) == {"theirs": "*.pyc\n"}


def test_the_gitignore_read_is_the_one_appended_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It was read through one open and appended to through another, by name: a plain file put in
    its place between the two (here when init makes its first folder) got the lines, though it
    was never read. Now the lines go to the file that was read (moved aside here), through the
    descriptor it was read by; the file put in its place stays as it was."""
    top, _ = _started(tmp_path)
    real, swapped = os.mkdir, list[str]()

    def mkdir(path: str, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        if not swapped:
            swapped.append(path)
            (top / ".gitignore").rename(top / "read.gitignore")
            (top / ".gitignore").write_text("theirs\n", encoding="utf-8")
        real(path, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "mkdir", mkdir)
    result = run_cli("init", str(top), "--no-build")
    assert swapped and result.code == 0, result
    assert (top / ".gitignore").read_text(encoding="utf-8") == "theirs\n"
    assert (top / "read.gitignore").read_text(encoding="utf-8") == (
        "*.pyc\n\n# policyctl init\n.policyctl-cache/\npolicyctl.sarif\npolicyctl-tests.xml\n"
    )


@pytest.mark.parametrize(
    "have, code", [("*.pyc\n.policyctl-cache/\npolicyctl.sarif\npolicyctl-tests.xml\n", 0), ("*.pyc\n", 1)]
)
def test_a_gitignore_the_user_may_not_write_is_kept_when_it_lacks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, have: str, code: int
) -> None:
    """Opened to read and append at once, a .gitignore the user may only read (the tests run as
    root, who may write anything: the refusal is the system's, made here) refused init although
    nothing was to be appended. Kept as it is when it lacks nothing; when it lacks lines, the
    refusal comes before anything is written."""
    top, _ = _started(tmp_path)
    (top / ".gitignore").write_text(have, encoding="utf-8")
    real = os.open

    def refused(path: str, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if os.path.basename(path) == ".gitignore" and flags & os.O_ACCMODE != os.O_RDONLY:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real(path, flags, mode, dir_fd=dir_fd)

    before = listing(top)
    monkeypatch.setattr(os, "open", refused)
    result = run_cli("init", str(top), "--no-build")
    assert result.code == code, result
    if code:
        assert result.err == f"policyctl: cannot write {top / '.gitignore'}: Permission denied\n" + REMOVED.format(n=0)
        assert listing(top) == before
    else:
        assert (top / ".gitignore").read_text(encoding="utf-8") == have
        assert (top / "policyctl.toml").is_file()


@pytest.mark.parametrize(
    ("refused", "said"),
    [
        ("settings.json", "{top}/.vscode/settings.json is a file you have no permission to read"),
        (".vscode", "{top}/.vscode is a folder you have no permission to read"),
        # (a failure that is not about permission: said with the system's words)
        ("settings.json EIO", "cannot read {top}/.vscode/settings.json: Input/output error"),
    ],
)
def test_editor_settings_the_user_may_not_read_refuse_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused: str, said: str
) -> None:
    """A .vscode/settings.json init could not read named no key: every starter key was said to be
    missing (`yaml.schemas` too, which it has) and init went on (exit 0). Now refused as a folder
    the user may not write into is (exit 2, nothing written; the tests run as root, who may read
    anything: the refusal is the system's, made here)."""
    top, _ = _started(tmp_path)
    settings = top / ".vscode" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"yaml.schemas": {}}\n', encoding="utf-8")
    name, _, failure = refused.partition(" ")
    error = errno.EIO if failure else errno.EACCES
    real = os.open

    def refusing(path: str, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if os.path.basename(path) == name:
            raise (OSError if failure else PermissionError)(error, os.strerror(error), path)
        return real(path, flags, mode, dir_fd=dir_fd)

    before = listing(top)
    monkeypatch.setattr(os, "open", refusing)
    result = run_cli("init", str(top), "--no-build")
    assert (result.code, result.out) == (2, ""), result
    first = result.err.splitlines()[0]
    assert (
        first
        == f"policyctl: error: {said.format(top=top)} (policyctl init reads the editor settings it keeps); nothing was written"
    )
    assert "then run `policyctl init` again" in result.err
    assert listing(top) == before


@pytest.mark.parametrize("there", SWAPS)
def test_editor_settings_swapped_after_the_check_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, there: str
) -> None:
    """.vscode/settings.json was read by path (open()): a link put there after the check was
    followed (the file it points to, which names every key, answered "nothing to add"), and a named
    pipe would have been waited on for ever. Now it is read as the .gitignore is: exit 1, nothing
    made, nothing read through the link."""
    top, outside = _started(tmp_path)
    settings = top / ".vscode" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{}\n", encoding="utf-8")
    (outside / "theirs.json").write_text('{"yaml.schemas": {}, "files.associations": {}}\n', encoding="utf-8")
    then = _swapped_after_the_check(monkeypatch, settings, there, outside / "theirs.json")
    result = run_cli("init", str(top), "--no-build")
    assert result.code == 1 and result.out == "", result
    assert result.err == f"policyctl: cannot write {settings}:" + APPEARED + REMOVED.format(n=0), result
    assert then and listing(top) == then


def test_what_init_made_is_left_when_another_file_is_in_it_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder init made that holds a file of someone else by the time a write fails is not
    removed (its file neither): named as left."""
    top, _ = _started(tmp_path)
    real = os.write

    def write(fd: int, data: bytes | memoryview) -> int:
        if (top / "policies" / "returns").is_dir() and not (top / "policies/returns/theirs.txt").exists():
            (top / "policies/returns/theirs.txt").write_text("theirs\n", encoding="utf-8")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)
    result = run_cli("init", str(top), "--no-build")
    assert result.code == 1, result
    assert result.err.splitlines()[1] == (
        "policyctl: removed 8 of the files and folders init had made; these stay (something else is in them"
        f" now): {top / 'policies/returns'}"
    ), result
    assert listing(top / "policies") == {"returns": "folder", "returns/theirs.txt": "theirs\n"}


@pytest.mark.parametrize("up", ["link/../repo", "missing/../repo", "missing/more/../../repo"])
def test_a_target_going_up_out_of_a_link_or_a_missing_folder_is_refused(tmp_path: Path, up: str) -> None:
    """`..` after a link or a folder that does not exist names one folder to the operating system
    (the link's target's parent; none) and another to `os.path` (the link's own parent): init made
    the missing folders by the one and wrote the starter by the other. `init link/../repo` left an
    empty ./repo and wrote the starter into elsewhere/repo; `init missing/../repo` failed with
    "cannot write repo: No such file or directory" for a folder it had made itself."""
    (tmp_path / "here").mkdir()
    (tmp_path / "elsewhere" / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere" / "repo").mkdir()  # what `link/..` reaches
    (tmp_path / "here" / "link").symlink_to(tmp_path / "elsewhere" / "sub")
    before = listing(tmp_path)
    result = run_cli("init", up, "--no-build", cwd=tmp_path / "here")
    first = up.split("/..")[0]  # (the path up to its first `..`)
    what = "a link" if first == "link" else "a folder that does not exist"
    assert (result.code, result.out) == (2, ""), result
    assert result.err == (
        f"policyctl: error: {up} goes up (`..`) out of {first}, {what}: the folder it names is not clear\n"
        "  hint: give the folder's path without that `..`, e.g. `policyctl init my-policies`\n"
    )
    assert listing(tmp_path) == before  # nothing written, here or there
