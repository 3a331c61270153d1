"""An import-linter contract that import-linter does not ship: no module-level import
cycle inside a package.

import-linter's ``acyclic_siblings`` forbids cycles between sibling *packages* (that
``app.authorities`` and ``app.search`` never import each other in either direction,
whichever modules do it); what this codebase promises is weaker and exact: no module of
``app`` imports, directly or through others, a module that imports it back.  Registered
in pyproject.toml (``[tool.importlinter] contract_types``), run by ``make lint``.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def import_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The strongly connected components of more than one module among ``package``'s
    modules (Tarjan's algorithm, iterative), each sorted, sorted by their first module."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(components)


class AcyclicModulesContract(Contract):
    """No import cycle among the modules of each of ``packages``."""

    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(AlertLevel, default=AlertLevel.ERROR)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        packages: list[str] = self.packages  # type: ignore[assignment]
        cycles: dict[str, list[list[str]]] = {}
        for package in packages:
            found = import_cycles(graph, package)
            if found:
                cycles[package] = found
        metadata: dict[str, Any] = {
            "cycles": cycles,
            "imports": {package: [[(a, b) for a in component for b in component
                                   if graph.direct_import_exists(importer=a, imported=b)]
                                  for component in found]
                        for package, found in cycles.items()},
        }
        return ContractCheck(kept=not cycles, warnings=list(removal.warnings),
                             ignored_import_count=removal.ignored_import_count,
                             metadata=metadata)

    def render_broken_contract(self, check: ContractCheck) -> None:
        for package, components in check.metadata["imports"].items():
            output.print_error(f"Import cycles among the modules of {package}:")
            output.new_line()
            for imports in components:
                for importer, imported in imports:
                    output.print_error(f"- {importer} -> {imported}", bold=False)
                output.new_line()
