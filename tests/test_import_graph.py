"""The shape of the code, read from the source (``tests/import_graph.py`` says how): no import
cycle among marketplace/, labeling/, consolidation/ and aws/, counting imports inside functions;
no import inside a function but where Django asks for one; consolidation stays pure; the
marketplace knows nothing of labeling. ``scripts/import_layers`` prints the layers."""

from __future__ import annotations

import ast
import textwrap

import pytest

from tests import import_graph
from tests.import_graph import a_cycle, build, strongly_connected

# (module, function) → why an import must wait there. AppConfig.ready runs once every app is
# loaded; importing models before that raises AppRegistryNotReady. Keep this to a handful.
ALLOWED_NESTED = {
    ("marketplace.apps", "MarketplaceConfig.ready"): "registers the sweep and the OpenAPI extension; imports models",
    ("labeling.apps", "LabelingConfig.ready"): "registers task types and the sweep; imports models",
}
MAX_NESTED_IMPORTS = 6  # the sixth: labeling's scrape-time metrics (labeling/observability.py)
DJANGO_WORLD = {"django", "rest_framework", "drf_spectacular", "channels", "celery"}


@pytest.fixture(scope="module")
def graph() -> import_graph.ImportGraph:
    return build()


def test_every_package_is_read(graph):
    for package in ("marketplace", "labeling", "consolidation"):
        assert package in graph.modules
    assert "marketplace.services.tasks" in graph.modules
    assert graph.edges["marketplace.services.tasks"] >= {"marketplace.services.batches", "marketplace.task_spec"}


def test_no_import_cycle(graph):
    cycles = [" -> ".join(a_cycle(graph, group)) for group in strongly_connected(graph)]
    assert not cycles, "import cycles (break each, e.g. by moving what both sides need below them):\n" + "\n".join(
        cycles
    )


def test_imports_inside_functions_only_where_django_asks(graph):
    stray = [
        f"{n.module}:{n.line} in {n.scope}: {n.text}" for n in graph.nested if (n.module, n.scope) not in ALLOWED_NESTED
    ]
    assert not stray, "imports inside a function or class (move them to the top of the module):\n" + "\n".join(stray)
    assert len(graph.nested) <= MAX_NESTED_IMPORTS, [n.text for n in graph.nested]


def test_no_import_by_name_at_run_time():
    # importlib.import_module("…") would be an edge this graph cannot see.
    hidden = []
    for module, path in build().modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in {"import_module", "__import__"}:
                    hidden.append(f"{module}:{node.lineno}")
    assert not hidden


def test_consolidation_is_pure(graph):
    for module in (m for m in graph.modules if m.split(".")[0] == "consolidation"):
        assert not graph.external.get(module, set()) & DJANGO_WORLD, module
        outside = {t for t in graph.edges.get(module, ()) if t.split(".")[0] != "consolidation"}
        assert not outside, (module, outside)


def test_automation_learning_code_is_pure(graph):
    # labeling/automation/ is the learning code of automated labeling (issue 17): like
    # consolidation it runs on arrays, so it imports no Django and nothing of ours outside itself.
    modules = [m for m in graph.modules if m == "labeling.automation" or m.startswith("labeling.automation.")]
    assert "labeling.automation.rounds" in modules
    for module in modules:
        assert not graph.external.get(module, set()) & DJANGO_WORLD, module
        outside = {t for t in graph.edges.get(module, ()) if not t.startswith("labeling.automation")}
        assert not outside, (module, outside)


def test_scikit_learn_stays_out_of_consolidation(graph):
    # consolidation/ is numpy and scipy only; scikit-learn is for labeling/automation/.
    for module in (m for m in graph.modules if m.split(".")[0] == "consolidation"):
        assert "sklearn" not in graph.external.get(module, set()), module


def test_the_marketplace_never_imports_labeling(graph):
    for module in (m for m in graph.modules if m.split(".")[0] == "marketplace"):
        into_labeling = {t for t in graph.edges.get(module, ()) if t.split(".")[0] == "labeling"}
        assert not into_labeling, (module, into_labeling)


# --- the graph's own rules, on a small made-up tree ---------------------------------------------


def _tree(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return build(tmp_path, ("pkg",))


def test_a_cycle_hidden_in_a_function_is_found(tmp_path):
    graph = _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from .b import f\n",
            "pkg/b.py": "def f():\n    from . import a\n",
        },
    )
    assert [a_cycle(graph, g) for g in strongly_connected(graph)] == [["pkg.a", "pkg.b", "pkg.a"]]
    assert [(n.module, n.scope) for n in graph.nested] == [("pkg.b", "f")]


def test_type_checking_imports_and_implied_parents_are_no_edges(tmp_path):
    graph = _tree(
        tmp_path,
        {
            "pkg/__init__.py": "from .sub import thing\n",
            "pkg/sub/__init__.py": "from .mod import thing\n",
            "pkg/sub/mod.py": (
                "from typing import TYPE_CHECKING\nimport pkg.leaf.name\n"
                "if TYPE_CHECKING:\n    from pkg import top\nthing = 1\n"
            ),
            "pkg/leaf.py": "name = 1\n",
            "pkg/other.py": "from pkg import sub\nfrom pkg.sub import mod, thing\n",
        },
    )
    assert not strongly_connected(graph)
    assert graph.edges["pkg"] == {"pkg.sub"}
    assert graph.edges["pkg.sub.mod"] == {"pkg.leaf"}  # not pkg (TYPE_CHECKING), not pkg.sub (a parent)
    assert graph.edges["pkg.other"] == {"pkg.sub", "pkg.sub.mod"}
    assert graph.external["pkg.sub.mod"] == {"typing"}


def test_celery_jobs_live_only_in_background_jobs_modules(graph):
    # "Task" means a HIT; Celery discovers jobs only in ``background_jobs`` (config/celery.py).
    elsewhere = [
        module
        for module, path in graph.modules.items()
        if "shared_task" in path.read_text() and module.rpartition(".")[2] != "background_jobs"
    ]
    assert not elsewhere
