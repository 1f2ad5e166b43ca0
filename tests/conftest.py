import os

import pytest

from nodegraph import AddNode, Connect, Runtime


@pytest.fixture(autouse=True)
def _registry_scope():
    """A node type a test registers is gone after it: the library's population never
    depends on which tests ran before."""
    from nodegraph import registry
    with registry.scoped():
        yield


@pytest.fixture
def rt():
    """A runtime on a manual clock, started without a thread: time moves with rt.advance()."""
    runtime = Runtime.manual()
    yield runtime
    runtime.close()


def build(rt, nodes, links=()):
    """nodes: {id: (type, params)}; links: [(src, outlet, dst, inlet)]."""
    for node_id, (type_id, params) in nodes.items():
        rt.do(AddNode(type_id, params, node_id=node_id))
    for link in links:
        rt.do(Connect(*link))
    return rt


def tap(rt, node_id, outlet):
    """Every value that leaves node_id.outlet, in order (a streamz-style sink)."""
    seen = []
    rt.graph.node(node_id).watch(outlet, seen.append)
    return seen


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On CI every tool the tests need is installed, so a skip there is a failure:
    a missing install step must turn CI red, not quietly test less."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped on CI, where it must run: {reason}"
