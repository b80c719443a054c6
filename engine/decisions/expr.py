"""Expressions: Jinja2 syntax, parsed by Jinja2's own parser, compiled to Python source.

Why not ``Environment.compile_expression``: it builds a render context per call (~16 µs), and the
sandbox decides at run time what is safe. Here the Jinja AST is walked once and only whitelisted
node types are emitted. The generated source can name nothing but local variables (``v_<name>``),
``inputs``, ``params``, ``at`` and the runtime in ``engine.decisions.runtime.RUNTIME``; every user-supplied
value enters it through ``repr`` of a str/int/float/bool/None. There is no attribute access, no
subscript other than ``params["x"]``, no builtins: safe by construction, and as fast as Python.

``check`` returns a ``Checked`` (the Python expression plus what it reads) or problems E001-E005.
Which comparisons of date-times and days are refused (E003), and why, is said by
``engine.decisions.datetimes``; this module places its refusals at the operator or the name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.lexer import Token, TokenStream, ignored_tokens
from jinja2.parser import Parser

from engine.decisions.datetimes import EARLIER, Times
from engine.decisions.datetimes import LISTED as LISTED  # (its home before engine.decisions.datetimes)
from engine.decisions.pycode import Checked, literal, local
from engine.decisions.refusals import Refusal
from engine.decisions.runtime import CONTEXT_HELPERS, FILTERS, HELPERS, TESTS
from engine.model.policy import Expr
from engine.problems import Problem
from engine.problems.hints import Suggester
from engine.source import scalars

MAX_LENGTH = 2000
MAX_DEPTH = 40  # nesting; keeps both Jinja's recursive parser and Python's compiler well inside limits
RESERVED = ("params", "at")
_LOCAL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_ENV = Environment()

_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=", "in": "in", "notin": "not in"}
# Operators Python may apply directly: on numbers their results stay small, and on other types they
# either make sense (list == list) or raise TypeError. `+ * % **` go through guarded runtime helpers.
_PLAIN_BINOP = {nodes.Sub: "-", nodes.Div: "/", nodes.FloorDiv: "//"}
_GUARDED_BINOP = {nodes.Add: "_add", nodes.Mul: "_mul", nodes.Mod: "_mod", nodes.Pow: "_pow"}
_DESCRIBE = {
    nodes.Slice: "a slice `a[x:y]`",
    nodes.Keyword: "a keyword argument",
    nodes.NSRef: "a namespace reference",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """The names an expression may read."""

    inputs: frozenset[str]
    lets: AbstractSet[str]  # let names defined before this expression
    params: frozenset[str]
    later_lets: AbstractSet[str] = frozenset()  # defined further down: "used before defined"
    defining: str | None = None  # the `let` this expression defines (it cannot read itself)
    # the inputs that are date-times (`format: date-time`) and the `let`s known to hold one, with
    # how each is written (as ``Checked.instant`` says)
    moments: Mapping[str, str] = field(default_factory=dict)
    schemas: Mapping[str, object] = field(default_factory=dict)  # the inputs' schemas: date-times inside them
    hints: Suggester = field(default_factory=Suggester)  # (one for a decision's expressions: compile)
    param_schemas: Mapping[str, object] = field(default_factory=dict)  # the parameters': date-times too
    # the text of the file the expressions are written in, when it is not the file on disk (an
    # editor's buffer: `validate --stdin-filename`): problems are placed in it (``locate``)
    text: str | None = None
    # the `let`s known to hold a value whose type no schema declares (``Checked.untyped``)
    untyped: AbstractSet[str] = frozenset()
    # the `let`s known to hold a day, or a list of days (``Checked.day``)
    days: Mapping[str, str] = field(default_factory=dict)


def check(expr: Expr, scope: Scope) -> tuple[Checked | None, list[Problem]]:
    """Parse, check against the whitelist and compile one expression."""
    if len(expr.source) > MAX_LENGTH:
        return None, [
            Problem.at(
                expr.pos,
                "E005",
                f"expression is {len(expr.source)} characters long; the limit is {MAX_LENGTH}",
                "split it into `let` values",
            )
        ]
    tokens: list[tuple[int, Any]] = []
    try:
        tree = _parse(expr.source, tokens)
    except _SyntaxProblem as e:
        line, col = locate(expr, e.offset, scope.text)
        return None, [Problem(expr.pos.file, line, col, "E001", e.message, e.hint)]
    emitter = _Emitter(expr, scope, tokens, _operator_places(tree, tokens))
    python = emitter.emit(tree, 0)
    if emitter.problems:
        return None, emitter.problems
    return Checked(
        expr,
        python,
        frozenset(emitter.names),
        frozenset(emitter.params),
        emitter.uses_at,
        frozenset(emitter.tested),
        emitter.times.instant(tree) or emitter.times.listed(tree),
        emitter.times.untyped(tree),
        emitter.times.day_kind(tree),
    ), []


def locate(expr: Expr, offset: int, text: str | None = None) -> tuple[int, int]:
    """File line and column of the character at ``offset`` in the expression; ``text``: the
    file's text when it is not the file on disk (an editor's buffer), else the file is read.

    ``Expr.pos`` marks the YAML scalar, whose value is the expression or holds it (an output's
    `= ...`); engine.source.scalars maps the value's characters back to the file in every style,
    over several lines too. Where it cannot say (the file changed, or a character the file does
    not hold as such), the scalar's own position: never a place that could be wrong.
    """
    pos = expr.pos
    if text is None:
        scalar = scalars.in_file(pos.file, pos.line, pos.col)
    else:
        scalar = scalars.scalar_at(text, pos.line, pos.col)
    start = None if scalar is None else _start(scalar.value, expr.source)
    if scalar is None or start is None:
        return pos.line, pos.col
    return scalar.place(start + offset, start) or (pos.line, pos.col)


def _start(value: str, source: str) -> int | None:
    """Where ``source`` stands in a scalar's ``value``: all of it (`when`, `let`), or what follows
    the `=` of an output, its spaces stripped."""
    if value == source:
        return 0
    written = value.rstrip()
    if source and written.endswith(source) and written[: len(written) - len(source)].rstrip() == "=":
        return len(written) - len(source)
    return None


# --- parsing -------------------------------------------------------------------------------------


def parse(source: str) -> nodes.Expr | None:
    """The Jinja2 tree of an expression that checks (``check`` has said so), for callers that read
    its shape (`diff`'s inputs to try); None when it does not parse."""
    try:
        return _parse(source, [])
    except _SyntaxProblem:
        return None


class _SyntaxProblem(Exception):
    def __init__(self, message: str, offset: int, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.offset, self.hint = message, offset, hint


def _parse(source: str, tokens: list[tuple[int, Any]]) -> nodes.Expr:
    """Jinja's parser over a token stream whose tokens we know the offsets of (Jinja keeps lines only).

    Each token's "line" is its number in ``tokens``, from 1: the node Jinja makes from a token keeps
    it as its ``lineno``, so ``_Emitter._place`` finds the token, and its offset, a node stands at."""
    offsets: dict[int, int] = {}
    end = [0]
    lex_failed = [False]

    def stream() -> Iterator[Token]:
        try:
            for lineno, kind, text in _ENV.lexer.tokeniter(source, None, None, "variable"):
                start, end[0] = end[0], end[0] + len(text)
                if kind in ignored_tokens:
                    continue
                for token in _ENV.lexer.wrap([(lineno, kind, text)]):
                    token = token._replace(lineno=len(tokens) + 1)
                    offsets[id(token)] = start
                    tokens.append((start, token))
                    yield token
        except TemplateSyntaxError:
            lex_failed[0] = True  # the lexer stopped where `end` points
            raise

    parser = Parser(_ENV, "", state="variable")
    try:
        parser.stream = TokenStream(stream(), None, None)
        tree = parser.parse_expression()
        if not parser.stream.eos:
            current = parser.stream.current
            raise _SyntaxProblem(
                f"unexpected `{current.value}` after the end of the expression",
                offsets.get(id(current), end[0]),
                "join the parts with an operator, or remove the extra text",
            )
    except TemplateSyntaxError as e:
        offset = end[0] if lex_failed[0] else offsets.get(id(parser.stream.current), end[0])
        raise _SyntaxProblem(
            _plain(e.message or "syntax error"), offset, "expressions use Jinja2 syntax, as inside `{{ }}`"
        ) from None
    except RecursionError:
        raise _SyntaxProblem("expression nested too deeply", 0, "split it into `let` values") from None
    return tree


def _plain(message: str) -> str:
    """Jinja speaks of templates and print statements; policy authors write expressions."""
    message = message.replace("end of print statement", "end of expression").replace("template", "expression")
    message = re.sub(r" at \d+$", "", message)
    message = message.replace("'end of expression'", "end of expression")
    return message[:1].lower() + message[1:].rstrip(".")


# The tokens of comparison operators (Jinja's token types; `in` is a name, `not in` two of them)
_OPERATOR_TOKENS = frozenset(("eq", "ne", "lt", "lteq", "gt", "gteq"))


def _operator_places(tree: nodes.Node, tokens: list[tuple[int, Any]]) -> dict[int, int]:
    """Where each comparison's operator stands in the source (`id` of its ``nodes.Operand`` ->
    offset; of `not` for `not in`): Jinja's nodes carry lines only. The operators' tokens and the
    tree's operands are both in the order of the source; {} if they do not pair up."""
    places = []
    for i, (start, token) in enumerate(tokens):
        if token.type in _OPERATOR_TOKENS:
            places.append(start)
        elif token.type == "name" and token.value == "in":
            before = tokens[i - 1] if i else None
            negated = before is not None and before[1].type == "name" and before[1].value == "not"
            places.append(before[0] if negated and before is not None else start)
    operands = list(_operands(tree))
    return {id(o): at for o, at in zip(operands, places)} if len(operands) == len(places) else {}


def _operands(tree: nodes.Node) -> Iterator[nodes.Operand]:
    """The comparisons' operands of ``tree`` in the order of the source (a loop, not a recursion:
    the tree may be deeper than ``MAX_DEPTH``, which the emitter refuses)."""
    pending: list[nodes.Node] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, nodes.Operand):
            yield node
        # (a node's fields are in the order of the source, but for `x if c else y`: test first)
        children = (
            [node.expr1, node.test, node.expr2] if isinstance(node, nodes.CondExpr) else list(node.iter_child_nodes())
        )
        pending.extend(reversed([c for c in children if c is not None]))


# --- emitting Python -----------------------------------------------------------------------------


@dataclass
class _Emitter:
    expr: Expr
    scope: Scope
    tokens: list[tuple[int, Any]]
    operators: dict[int, int]  # where each comparison's operator stands (``_operator_places``)
    problems: list[Problem] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    tested: set[str] = field(default_factory=set)
    uses_at: bool = False
    times: Times = field(init=False)  # what its values are, as far as time goes

    def __post_init__(self) -> None:
        self.times = Times(self.scope)

    def emit(self, node: nodes.Node, depth: int) -> str:
        if depth > MAX_DEPTH:
            self._fail(
                node, None, "E005", f"expression nested more than {MAX_DEPTH} levels deep", "split it into `let` values"
            )
            return "None"
        handler = _HANDLERS.get(type(node))  # exact types: a subclass is not thereby allowed
        if handler is None:
            what = _DESCRIBE.get(type(node), f"`{type(node).__name__}`")
            self._fail(
                node,
                None,
                "E003",
                f"{what} is not allowed in an expression",
                'see "Expressions" in the authors\' guide (`policyctl guide`) for what is allowed',
            )
            return "None"
        result: str = getattr(self, handler)(node, depth + 1)
        return result

    def _fail(self, at: nodes.Node, word: str | None, code: str, message: str, hint: str = "") -> None:
        """A problem at the construct ``at`` (``_place``), else where ``word`` first appears."""
        offset = self._place(at)
        self._fail_at(self._offset(word) if offset is None else offset, code, message, hint)

    def _fail_at(self, offset: int, code: str, message: str, hint: str = "") -> None:
        line, col = locate(self.expr, offset, self.scope.text)
        self.problems.append(Problem(self.expr.pos.file, line, col, code, message, hint))

    def _refuse(self, at: nodes.Node, word: str, refused: Refusal | None) -> None:
        """E003 at ``at`` for what ``engine.decisions.datetimes`` refuses, if anything."""
        if refused is not None:
            self._fail(at, word, "E003", str(refused), refused.hint)  # (a plain str in a Problem, as D004's)

    def _fail_operator(self, operand: nodes.Operand, symbol: str, message: str, hint: str) -> None:
        """E003 at ``operand``'s operator: the one at fault, not the first of its kind."""
        offset = self.operators.get(id(operand))
        if offset is None:  # (never, while the tokens and the tree agree)
            offset = self._offset(symbol.split()[0])  # (`not in` is two words)
        self._fail_at(offset, "E003", message, hint)

    def _place(self, node: nodes.Node) -> int | None:
        """Where the construct ``node`` stands in the source: a name at the name; `a.b` at `b`; a
        call of a helper or of `a.b` at its name, any other call at its `(`; a filter or a test at
        its name; anything else at the token Jinja made it from. ``_parse`` numbers the tokens in
        the nodes' ``lineno``; None if the token found is not the one expected (never, while Jinja's
        parser makes its nodes so)."""
        if isinstance(node, nodes.Call) and isinstance(node.node, (nodes.Name, nodes.Getattr)):
            return self._place(node.node)
        i = (node.lineno or 0) - 1  # (Jinja's: the `.` of `a.b`, the `is` of a test)
        if isinstance(node, nodes.Name):
            found = self._token(i, "name", node.name)
        elif isinstance(node, nodes.Getattr):
            i += 1
            found = self._token(i, "name", node.attr)
        elif isinstance(node, (nodes.Filter, nodes.Test)):
            if isinstance(node, nodes.Test):
                i += 2 if self._token(i + 1, "name", "not") else 1
            found = self._token(i, "name", node.name.split(".")[0])  # (`a|b.c`: the filter `b.c`)
        elif isinstance(node, nodes.Call):
            found = self._token(i, "lparen")
        else:
            found = 0 <= i < len(self.tokens)
        return int(self.tokens[i][0]) if found else None

    def _token(self, i: int, kind: str, value: str | None = None) -> bool:
        """Whether token ``i`` is of that kind (and value)."""
        if not 0 <= i < len(self.tokens):
            return False
        token = self.tokens[i][1]
        return bool(token.type == kind and (value is None or token.value == value))

    def _offset(self, word: str | None) -> int:
        """Where `word` first appears as a token (where ``_place`` cannot say): Jinja nodes carry no column."""
        for start, token in self.tokens:
            if word is not None and token.value == word:
                return start
        return 0

    # literals

    def _Const(self, node: nodes.Const, depth: int) -> str:
        source = literal(node.value)
        if source is None:  # 1e999 is infinity; it has no literal, so keep it out of the code
            source = "(1e308 * 10)" if node.value > 0 else "None" if node.value != node.value else "(-1e308 * 10)"
        return source

    def _List(self, node: nodes.List, depth: int) -> str:
        return "[" + ", ".join(self.emit(i, depth) for i in node.items) + "]"

    def _Tuple(self, node: nodes.Tuple, depth: int) -> str:
        return "(" + "".join(self.emit(i, depth) + ", " for i in node.items) + ")"

    def _Dict(self, node: nodes.Dict, depth: int) -> str:
        return "{" + ", ".join(f"{self.emit(p.key, depth)}: {self.emit(p.value, depth)}" for p in node.items) + "}"

    # names and keys

    def _Name(self, node: nodes.Name, depth: int) -> str:
        name = node.name
        if name.startswith("_"):
            self._fail(node, name, "E003", f"`{name}`: names starting with `_` are not allowed")
        elif name == "at":
            self.uses_at = True
            return "at"
        elif name == "params":
            self._fail(node, name, "E003", "`params` can only be read one parameter at a time", "write `params.NAME`")
        elif name in self.scope.inputs or name in self.scope.lets:
            if not _LOCAL_NAME.match(name):
                self._fail(node, name, "E002", f"`{name}` is not a name an expression can use")
                return "None"
            self.names.add(name)
            return local(name)
        elif name == self.scope.defining:
            self._fail(
                node,
                name,
                "E002",
                f"`{name}` is defined from itself",
                "a `let` is made of inputs, parameters and the `let`s above it: use a name for what it starts from",
            )
        elif name in self.scope.later_lets:
            self._fail(
                node,
                name,
                "E002",
                f"`{name}` is used before its `let` definition",
                "move it below the definition of `" + name + "`, or reorder `let`",
            )
        elif name in HELPERS:
            self._fail(node, name, "E003", f"`{name}` is a helper; call it: `{name}(...)`")
        else:
            self._fail(
                node,
                name,
                "E002",
                f"unknown name `{name}`{_did_you_mean(self.scope.hints, name, self.scope.inputs, self.scope.lets, RESERVED)}",
                "an expression can use the inputs, `let` names, `params.NAME`, `at` and the helpers",
            )
        return "None"

    def _param(self, name: Any, at: nodes.Node, word: str | None) -> str:
        """`params.NAME`, `params['NAME']`, `param_on('NAME', d)`: ``at`` is where NAME is written."""
        if not isinstance(name, str):
            self._fail(at, word, "E003", "`params` can only be read by name", "write `params.NAME`")
        elif name.startswith("_"):
            self._fail(at, name, "E003", f"`{name}`: names starting with `_` are not allowed")
        elif name not in self.scope.params:
            self._fail(
                at,
                name,
                "E004",
                f"unknown parameter `params.{name}`{_did_you_mean(self.scope.hints, name, self.scope.params, prefix='params.')}",
                "declare it under `parameters:` in program.yaml",
            )
        else:
            self.params.add(name)
            return f"params[{name!r}]"
        return "None"

    def _Getattr(self, node: nodes.Getattr, depth: int) -> str:
        if node.attr.startswith("_"):
            self._fail(
                node,
                node.attr,
                "E003",
                f"`{node.attr}`: names starting with `_` are not allowed",
                "expressions read keys of mappings, never attributes of objects",
            )
            return "None"
        if isinstance(node.node, nodes.Name) and node.node.name == "params":
            return self._param(node.attr, node, node.attr)
        return f"_get({self.emit(node.node, depth)}, {node.attr!r})"

    def _Getitem(self, node: nodes.Getitem, depth: int) -> str:
        key = node.arg
        if isinstance(key, nodes.Const) and isinstance(key.value, str) and key.value.startswith("_"):
            self._fail(key, key.value, "E003", f"`{key.value}`: names starting with `_` are not allowed")
            return "None"
        if isinstance(node.node, nodes.Name) and node.node.name == "params":
            return self._param(key.value if isinstance(key, nodes.Const) else None, key, "params")
        return f"_get({self.emit(node.node, depth)}, {self.emit(key, depth)})"

    # operators

    def _Compare(self, node: nodes.Compare, depth: int) -> str:
        parts = [self.emit(node.expr, depth)]
        left = node.expr
        for operand in node.ops:
            symbol = _COMPARE[operand.op]
            refused = self.times.compared(left, symbol, operand.expr)
            if refused is not None:
                self._fail_operator(operand, symbol, str(refused), refused.hint)
            parts += [symbol, self.emit(operand.expr, depth)]
            left = operand.expr
        return "(" + " ".join(parts) + ")"

    def _And(self, node: nodes.And, depth: int) -> str:
        return f"({self.emit(node.left, depth)} and {self.emit(node.right, depth)})"

    def _Or(self, node: nodes.Or, depth: int) -> str:
        return f"({self.emit(node.left, depth)} or {self.emit(node.right, depth)})"

    def _Not(self, node: nodes.Not, depth: int) -> str:
        return f"(not {self.emit(node.node, depth)})"

    def _Neg(self, node: nodes.Neg, depth: int) -> str:
        return f"(-{self.emit(node.node, depth)})"

    def _Pos(self, node: nodes.Pos, depth: int) -> str:
        return f"(+{self.emit(node.node, depth)})"

    def _binop(self, node: nodes.BinExpr, depth: int) -> str:
        left, right = self.emit(node.left, depth), self.emit(node.right, depth)
        if type(node) in _GUARDED_BINOP:
            return f"{_GUARDED_BINOP[type(node)]}({left}, {right})"
        return f"({left} {_PLAIN_BINOP[type(node)]} {right})"

    _Add = _Sub = _Mul = _Div = _FloorDiv = _Mod = _Pow = _binop

    def _Concat(self, node: nodes.Concat, depth: int) -> str:
        return "_concat(" + ", ".join(self.emit(n, depth) for n in node.nodes) + ")"

    def _CondExpr(self, node: nodes.CondExpr, depth: int) -> str:
        otherwise = "None" if node.expr2 is None else self.emit(node.expr2, depth)
        return f"({self.emit(node.expr1, depth)} if {self.emit(node.test, depth)} else {otherwise})"

    # calls, filters, tests

    def _positional(self, node: nodes.Call | nodes.Filter | nodes.Test, what: str) -> bool:
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            self._fail(
                node,
                what,
                "E003",
                f"`{what}` takes positional arguments only",
                "write the values in order, without `name=`",
            )
            return False
        return True

    def _arity(
        self, node: nodes.Call | nodes.Filter | nodes.Test, what: str, got: int, low: int, high: int | None
    ) -> bool:
        if got >= low and (high is None or got <= high):
            return True
        expected = str(low) if low == high else f"{low} or more" if high is None else f"{low} to {high}"
        self._fail(node, what, "E003", f"`{what}` takes {expected} argument{'s' if expected != '1' else ''}, got {got}")
        return False

    def _Call(self, node: nodes.Call, depth: int) -> str:
        if not isinstance(node.node, nodes.Name):
            callee = f"`.{node.node.attr}(...)`" if isinstance(node.node, nodes.Getattr) else "this value"
            self._fail(
                node,
                getattr(node.node, "attr", None),
                "E003",
                f"{callee} cannot be called: only helpers can",
                "helpers: " + ", ".join(HELPERS),
            )
            return "None"
        name = node.node.name
        if name not in HELPERS:
            if name in self.scope.inputs or name in self.scope.lets:
                self._fail(node, name, "E003", f"`{name}` is a value, not a helper, and cannot be called")
            else:
                self._fail(
                    node,
                    name,
                    "E002",
                    f"unknown helper `{name}`{_did_you_mean(self.scope.hints, name, HELPERS)}",
                    "helpers: " + ", ".join(HELPERS),
                )
            return "None"
        _, low, high = HELPERS[name]
        if not (self._positional(node, name) and self._arity(node, name, len(node.args), low, high)):
            return "None"
        if name in EARLIER:
            self._refuse(node, name, self.times.ordered(name, node.args))
        args = [self.emit(a, depth) for a in node.args]
        if name == "param_on":  # the parameter is named, never computed: checked here like `params.NAME`
            first = node.args[0]
            if not (isinstance(first, nodes.Const) and isinstance(first.value, str)):
                self._fail(
                    node,
                    name,
                    "E003",
                    "the first argument of `param_on` must be a parameter's name in quotes",
                    "write `param_on('NAME', date)`",
                )
                return "None"
            if self._param(first.value, first, first.value) == "None":
                return "None"
            args[0] = repr(first.value)
        if name in CONTEXT_HELPERS:
            # the marketplace's time zone and the parameters' timelines travel in `params`; the
            # answer depends on them, so the call is never folded into a constant
            self.uses_at = True
            args.insert(0, "params")
        return f"_h_{name}(" + ", ".join(args) + ")"

    def _Filter(self, node: nodes.Filter, depth: int) -> str:
        if node.name not in FILTERS:
            self._fail(
                node,
                node.name,
                "E003",
                f"unknown filter `{node.name}`{_did_you_mean(self.scope.hints, node.name, FILTERS)}",
                "filters: " + ", ".join(FILTERS),
            )
            return "None"
        _, low, high = FILTERS[node.name]
        if not (self._positional(node, node.name) and self._arity(node, node.name, len(node.args), low, high)):
            return "None"
        if node.node is None:  # only in `{% filter %}` blocks, which expressions cannot contain
            return "None"
        if node.name in EARLIER:
            self._refuse(node, node.name, self.times.ordered(node.name, [node.node]))
        self._refuse(node, node.name, self.times.cased(node.name, node.node))
        args = [self.emit(node.node, depth)] + [self.emit(a, depth) for a in node.args]
        return f"_f_{node.name}(" + ", ".join(args) + ")"

    def _Test(self, node: nodes.Test, depth: int) -> str:
        if node.name not in TESTS:
            self._fail(
                node,
                node.name,
                "E003",
                f"unknown test `{node.name}`{_did_you_mean(self.scope.hints, node.name, TESTS)}",
                "tests: " + ", ".join(TESTS),
            )
            return "None"
        if node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
            self._fail(node, node.name, "E003", f"the test `{node.name}` takes no arguments")
            return "None"
        if node.name == "defined":
            return self._defined(node.node, depth)
        value = self.emit(node.node, depth)
        return {"none": f"({value} is None)", "number": f"_t_number({value})", "string": f"_t_string({value})"}[
            node.name
        ]

    def _defined(self, target: nodes.Node, depth: int) -> str:
        # Jinja's meaning: the input was given / the key exists, even if its value is none
        if isinstance(target, nodes.Name) and target.name in self.scope.inputs and target.name not in self.scope.lets:
            self.tested.add(target.name)
            return f"({target.name!r} in inputs)"
        if isinstance(target, nodes.Getattr) and not (
            isinstance(target.node, nodes.Name) and target.node.name == "params"
        ):
            if target.attr.startswith("_"):
                return self.emit(target, depth)  # reports the private name
            return f"_has({self.emit(target.node, depth)}, {target.attr!r})"
        if isinstance(target, nodes.Getitem) and not (
            isinstance(target.node, nodes.Name) and target.node.name == "params"
        ):
            key = target.arg
            private = isinstance(key, nodes.Const) and isinstance(key.value, str) and key.value.startswith("_")
            if not private and not isinstance(key, nodes.Slice):
                return f"_has({self.emit(target.node, depth)}, {self.emit(key, depth)})"
        return f"({self.emit(target, depth)} is not None)"


_HANDLERS: dict[type, str] = {
    t: "_" + t.__name__
    for t in (
        nodes.Const,
        nodes.List,
        nodes.Tuple,
        nodes.Dict,
        nodes.Name,
        nodes.Getattr,
        nodes.Getitem,
        nodes.Compare,
        nodes.And,
        nodes.Or,
        nodes.Not,
        nodes.Neg,
        nodes.Pos,
        nodes.Add,
        nodes.Sub,
        nodes.Mul,
        nodes.Div,
        nodes.FloorDiv,
        nodes.Mod,
        nodes.Pow,
        nodes.Concat,
        nodes.CondExpr,
        nodes.Call,
        nodes.Filter,
        nodes.Test,
    )
}


def _did_you_mean(hints: Suggester, name: str, *known: Collection[str], prefix: str = "") -> str:
    close = hints.closest(name, *known, n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"`{prefix}{c}`" for c in close) + "?"
