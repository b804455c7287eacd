"""Cutting a training script down to what builds its model, without running its training.

Students hand in one script that does everything: imports, datasets and loaders built at module
level, the network classes, a training loop (in `main()`, or at the top level with no
`if __name__ == "__main__":` guard). Importing it would run all of that. `cut_module` keeps:

- every class and function definition (defining them runs nothing but decorators, defaults and
  class bodies; a pickled model may need any of its classes);
- the imports and top-level assignments that the model needs: the names reachable from the
  requested model name, from every class body and from what definitions evaluate when defined
  (decorators, defaults, base classes, annotations), followed through the functions they use;
- `if` / `try` blocks cut the same way (a `try: import x / except ImportError:` guard stays);
- star imports (their names cannot be known).

Everything else goes: loops, calls, dataset construction, plotting, `with` blocks and the
`__main__` block (its definitions and the imports they need are hoisted to the top level: some
students define the network there; its assignments never run). A method's own locals do not count as names it needs (a
notebook's `x, y = next(iter(loader))` stays out because `forward(self, x)` reads `x`); an import
only the other classes need is kept as `try: ... except ImportError: pass`. The `Cut` says what was skipped, for the claim's detail.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# What the `__main__` block gives the module: its definitions and imports, never its assignments
# (`args = parser.parse_args()`, `device = torch.device(args.device)` would run the script).
HOISTED = (*DEFS, ast.Import, ast.ImportFrom)


@dataclass
class Cut:
    tree: ast.Module
    skipped: list[str] = field(default_factory=list)     # "line 43: a call", ...


def cut_module(source: str, filename: str, roots: set[str]) -> Cut:
    """The module's tree cut to what builds `roots` (the model's name); SyntaxError as Python's."""
    tree = ast.parse(source, filename=filename)
    # A whole pickled model may be of any class, so every class's methods get their globals;
    # an import only the other classes need is kept but may fail (a helper not handed in).
    needed = _needed(tree.body, set(roots), every_class=True)
    optional = needed - _needed(tree.body, set(roots), every_class=False)
    skipped: list[str] = []
    body = _keep(tree.body, needed, skipped, optional)
    module = ast.Module(body=body, type_ignores=[])
    ast.fix_missing_locations(module)
    return Cut(module, skipped)


# ---------------------------------------------------------------- what is needed

def _loads(node: ast.AST) -> set[str]:
    """Every name read anywhere under `node`."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def _definition_time(node: ast.AST) -> set[str]:
    """What a def or class evaluates when it is defined (not when it is called): decorators,
    defaults, annotations, base classes and a class body's own statements (its methods' bodies
    run only when called)."""
    parts: list[ast.AST] = list(getattr(node, "decorator_list", []))
    if isinstance(node, ast.ClassDef):
        parts += node.bases + [k.value for k in node.keywords]
        for stmt in node.body:
            parts += [_signature(stmt)] if isinstance(stmt, DEFS[:2]) else \
                [stmt] if not isinstance(stmt, ast.ClassDef) else []
        inner = [_definition_time(s) for s in node.body if isinstance(s, ast.ClassDef)]
        return set().union(*(_loads(p) for p in parts), *inner)
    return _loads(_signature(node))


def _signature(node: ast.AST) -> ast.AST:
    """A function's decorators, defaults and annotations, as one node to read names from."""
    args = node.args   # type: ignore[attr-defined]
    parts: list[ast.expr] = list(node.decorator_list)   # type: ignore[attr-defined]
    parts += args.defaults + [d for d in args.kw_defaults if d is not None]
    parts += [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs,
                                     args.vararg, args.kwarg) if a is not None and a.annotation]
    if node.returns:   # type: ignore[attr-defined]
        parts.append(node.returns)   # type: ignore[attr-defined]
    return ast.Tuple(elts=parts, ctx=ast.Load())


def _free(node: ast.AST) -> set[str]:
    """The global names a definition reads when it is used: for a function, what its body
    reads minus its parameters and the names it assigns (its locals, so a training loop's `x`
    at the top level is not pulled in by a method's own `x`); a class: its methods' too."""
    if isinstance(node, ast.ClassDef):
        return _definition_time(node).union(*(_free(s) for s in node.body
                                              if isinstance(s, DEFS)))
    if not isinstance(node, DEFS[:2]):
        return _loads(node)
    declared = {n for g in ast.walk(node) if isinstance(g, (ast.Global, ast.Nonlocal))
                for n in g.names}
    local = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
             and isinstance(n.ctx, (ast.Store, ast.Del))}
    local |= {a.arg for n in ast.walk(node) if isinstance(n, ast.arguments)
              for a in (*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg)
              if a is not None}
    local |= {n.name for n in ast.walk(node) if isinstance(n, DEFS) and n is not node}
    return _definition_time(node) | (_loads(node) - (local - declared))


def _binds(stmt: ast.stmt) -> set[str]:
    """Top-level names a statement binds."""
    if isinstance(stmt, DEFS):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name.split(".")[0]) for a in stmt.names if a.name != "*"}
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    return {n.id for t in targets for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _flat(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements, looking into if/try blocks (not into the `__main__` block)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if _is_main_guard(stmt):            # its definitions and imports are hoisted
            out += [s for s in _flat(stmt.body) if isinstance(s, HOISTED)]
        elif isinstance(stmt, ast.If):
            out += _flat(stmt.body) + _flat(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            out += _flat(stmt.body) + [s for h in stmt.handlers for s in _flat(h.body)]
            out += _flat(stmt.orelse) + _flat(stmt.finalbody)
        else:
            out.append(stmt)
    return out


def _needed(body: list[ast.stmt], roots: set[str], every_class: bool) -> set[str]:
    """Names the model needs, followed through what binds them until nothing new comes."""
    stmts = _flat(body)
    binders: dict[str, list[ast.stmt]] = {}
    for stmt in stmts:
        for name in _binds(stmt):
            binders.setdefault(name, []).append(stmt)
    todo = set(roots)
    for stmt in stmts:
        if isinstance(stmt, DEFS):
            todo |= _free(stmt) if every_class and isinstance(stmt, ast.ClassDef) \
                else _definition_time(stmt)
    needed: set[str] = set()
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        for stmt in binders.get(name, []):
            todo |= _free(stmt) - needed
    return needed


# ---------------------------------------------------------------- keeping

def _is_main_guard(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If):
        return False
    names = {n.id for n in ast.walk(stmt.test) if isinstance(n, ast.Name)}
    consts = {n.value for n in ast.walk(stmt.test) if isinstance(n, ast.Constant)}
    return "__name__" in names and "__main__" in consts


def _what(stmt: ast.stmt) -> str:
    if _is_main_guard(stmt):
        return "the __main__ block"
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        return "a loop"
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return "a call"
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return "an assignment the model does not need"
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return "an import the model does not need"
    return f"a {type(stmt).__name__.lower()} statement"


def _keep(body: list[ast.stmt], needed: set[str], skipped: list[str],
          optional: set[str] = frozenset()) -> list[ast.stmt]:
    kept: list[ast.stmt] = []
    for stmt in body:
        if _is_main_guard(stmt):
            # A model defined inside `if __name__ == "__main__":` (and what it needs) is
            # hoisted to the top level; the block's training is skipped with the rest of it.
            kept += _keep([s for s in stmt.body if isinstance(s, HOISTED)], needed, [], optional)
            skipped.append(f"line {stmt.lineno}: {_what(stmt)}")
        elif isinstance(stmt, DEFS) or _is_docstring(stmt):
            kept.append(stmt)
        elif isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            kept.append(stmt)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)) and _binds(stmt) & needed \
                and _binds(stmt) <= optional:
            kept.append(_may_fail(stmt))
        elif isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign,
                               ast.AugAssign)) and _binds(stmt) & needed:
            kept.append(stmt)
        elif isinstance(stmt, ast.If) and not _is_main_guard(stmt):
            inner = (_keep(stmt.body, needed, skipped, optional),
                     _keep(stmt.orelse, needed, skipped, optional))
            if inner[0] or inner[1]:
                kept.append(ast.copy_location(
                    ast.If(test=stmt.test, body=inner[0] or [ast.Pass()], orelse=inner[1]),
                    stmt))
        elif isinstance(stmt, ast.Try):
            inner_body = _keep(stmt.body, needed, skipped)
            if inner_body:
                handlers = [ast.copy_location(ast.ExceptHandler(
                    type=h.type, name=h.name, body=_keep(h.body, needed, skipped) or [ast.Pass()]),
                    h) for h in stmt.handlers]
                kept.append(ast.copy_location(
                    ast.Try(body=inner_body, handlers=handlers,
                            orelse=_keep(stmt.orelse, needed, skipped),
                            finalbody=_keep(stmt.finalbody, needed, skipped)), stmt))
        else:
            skipped.append(f"line {stmt.lineno}: {_what(stmt)}")
    return kept


def _may_fail(stmt: ast.stmt) -> ast.stmt:
    """`try: <import> except ImportError: pass`: the model itself does not need it."""
    handler = ast.ExceptHandler(type=ast.Name(id="ImportError", ctx=ast.Load()), name=None,
                                body=[ast.Pass()])
    return ast.copy_location(ast.Try(body=[stmt], handlers=[handler], orelse=[], finalbody=[]),
                             stmt)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def summary(skipped: list[str]) -> str:
    """One phrase for the claim's detail: what kinds of statement were skipped."""
    kinds: dict[str, int] = {}
    for s in skipped:
        kind = s.split(": ", 1)[1]
        kinds[kind] = kinds.get(kind, 0) + 1
    order = sorted(kinds.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} (×{n})" if n > 1 else k for k, n in order)
