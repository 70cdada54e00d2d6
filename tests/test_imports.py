"""Import hygiene: the headless core never loads Textual; clients never SQLAlchemy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.home import ROOT, RunnerHome, python_path


def _python(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env or {"PATH": "/usr/bin:/bin", "PYTHONPATH": python_path()},
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _headless_modules() -> list[str]:
    package = ROOT / "runner"
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in package.rglob("*.py")
        if "tui" not in path.relative_to(package).parts and path.name != "__main__.py"
    )


def test_the_modules_are_imported_from_this_checkout() -> None:
    where = _python("import runner; print(runner.__file__)")

    assert where.strip() == str(ROOT / "runner" / "__init__.py")


def test_no_module_outside_the_tui_loads_textual() -> None:
    modules = _headless_modules()
    assert "runner.host" in modules and "runner.executor" in modules

    loaded = _python(
        f"""
        import importlib, sys
        for name in {modules!r}:
            importlib.import_module(name)
        print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))
        """
    )

    assert loaded.strip() == "[]"


@pytest.mark.parametrize(
    "module", ["runner.cli", "runner.client", "runner.spec", "runner.display"]
)
def test_the_client_side_modules_load_no_sqlalchemy(module: str) -> None:
    loaded = _python(
        f"""
        import sys, {module}
        print([m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'textual')])
        """
    )

    assert loaded.strip() == "[]"


_VERB_PROBE = """
import json, sys
import runner.cli
status = runner.cli.main(sys.argv[1:])
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'textual'})
print(json.dumps({"status": status, "heavy": heavy}))
"""


@pytest.mark.parametrize(
    "verb",
    [
        ["add", "--", "true"],
        ["add", "-c", "1", "-t", "5", "-J", "x", "--parsable", "--", "true"],
        ["status"],
        ["status", "--json"],
        ["show", "1"],
        ["log", "1"],
        ["wait", "1"],
    ],
    ids=" ".join,
)
def test_client_verbs_really_run_without_loading_sqlalchemy(
    shared_home: RunnerHome, verb: list[str]
) -> None:
    shared_home.add("--", "true")

    done = subprocess.run(
        [sys.executable, "-c", _VERB_PROBE, *verb],
        capture_output=True,
        text=True,
        env=shared_home.env,
        cwd=shared_home.path,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"status": 0, "heavy": []}
