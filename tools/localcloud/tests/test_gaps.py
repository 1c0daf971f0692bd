"""The gap registry (localcloud/gaps.py) matches the code: fixes and tests exist, no patch site is unlisted."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import localcloud
from localcloud import gaps, middleware, patches

PACKAGE = Path(localcloud.__file__).resolve().parent
REPO = PACKAGE.parents[2]


def _load_everything() -> None:
    from localcloud import hooks
    from localcloud.hooks import dataplane  # noqa: F401 - registers its hooks (build_app imports it)

    hooks.register_all()


def _name(fn) -> str:
    return f"{fn.__module__.removeprefix('localcloud.')}:{fn.__name__}"


def test_every_listed_fix_exists():
    for gap in gaps.GAPS:
        for fix in gap.fixed_in:
            module, _, function = fix.partition(":")
            assert callable(getattr(importlib.import_module(f"localcloud.{module}"), function, None)), (gap.id, fix)


def test_every_listed_test_exists():
    for gap in gaps.GAPS:
        assert gap.tests, gap.id
        for test in gap.tests:
            path, _, name = test.partition("::")
            source = (REPO / path).read_text(encoding="utf-8")
            assert f"def {name}(" in source, (gap.id, test)


def test_ids_are_unique_and_described_in_one_line():
    ids = [gap.id for gap in gaps.GAPS]
    assert len(ids) == len(set(ids))
    assert all(gap.description and "\n" not in gap.description for gap in gaps.GAPS)


def test_every_hook_and_patch_is_registered():
    _load_everything()
    listed = gaps.by_fix()
    sites = [_name(fn) for fn in middleware.registered() + patches.PATCHES + list(middleware.BEHAVIOURS)]
    assert sites, "no hooks found"
    assert [site for site in sites if site not in listed] == []
    # and the other way round: a listed fix is a hook or patch the local cloud actually uses
    assert sorted(set(listed) - set(sites)) == []


def _moto_names(fn: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("moto"):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def _root(node) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _changes_moto(fn: ast.FunctionDef) -> bool:
    """Assigns to an attribute/item of something imported from moto, calls setattr on it, or sets MOTO_*."""
    moto = _moto_names(fn)
    for node in ast.walk(fn):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        )
        if any(isinstance(t, ast.Attribute | ast.Subscript) and _root(t) in moto for t in targets):
            return True
        if isinstance(node, ast.Call):
            if (
                isinstance(node.func, ast.Name)
                and node.func.id == "setattr"
                and node.args
                and _root(node.args[0]) in moto
            ):
                return True
            text = ast.unparse(node)  # a moto setting; MOTO_PORT only tells moto which port it serves on
            if text.startswith("os.environ.setdefault('MOTO_") and "'MOTO_PORT'" not in text:
                return True
    return False


def test_every_function_that_changes_moto_is_a_registered_patch():
    unmarked = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and _changes_moto(node):
                decorators = {ast.unparse(d) for d in node.decorator_list}
                if not decorators & {"patch", "patches.patch"}:
                    unmarked.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert unmarked == []


def test_the_moto_check_sees_a_patch():
    # the check above must be able to fail: an unmarked function that replaces a moto property is found
    source = "def f():\n    from moto.rds.models import DBCluster\n    DBCluster.endpoint = property(len)\n"
    assert _changes_moto(ast.parse(source).body[0])
    assert not _changes_moto(ast.parse("def g():\n    x = {}\n    x['a'] = 1\n").body[0])
