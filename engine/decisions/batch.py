"""`policyctl decide`: one JSON object, or JSON Lines evaluated as a stream.

The batch loop is the service-shaped hot path (issue 7 asks for >= 100,000 decisions/s end to
end), so it binds everything it can outside the loop: the compiled decision, the resolved
parameters (resolved once: a batch answers for one marketplace on one date), the JSON decoder
and encoder, and writes in chunks.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import TYPE_CHECKING, Any, Literal, TextIO

from engine.decisions import notjson
from engine.model.policy import evidence_text
from engine.problems import Pos, Problem, one_line

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_CHUNK = 512
# One answer, as JSON text, at most this long: each value an expression builds is bounded
# (engine.decisions.runtime.MAX_ITEMS) but a table can have many outputs and `collect` many rows.
MAX_ANSWER = 5_000_000
_LINE_ENDS = frozenset(("", "\n", "\r\n"))
# the hint for an input that is an array: how `decide` takes several (README, `policyctl decide`);
# on a line of a batch (`decide`'s, the service's alike), how a batch takes them
SEVERAL = (
    "for several inputs, give one JSON object per line (JSON Lines) instead of an array: each line is "
    "answered on its own (a table of them: `--input rows.jsonl --output answers.jsonl`)"
)
SEVERAL_ON_A_LINE = "one JSON object per line: each object of the array on a line of its own"
# The deepest nesting of `[` and `{` an input may have. Far below Python's recursion limit, so the
# answer never depends on how deep the stack already is or on a limit another library raised (a
# 1,500-deep input was refused in one process and read in another).
MAX_NESTING = 200
# strings and brackets of JSON: written here, compiled by the first input nested deep enough to need
# them (most processes never see one; compiling at import cost the start-up of `decide --bundle`)
_STRING = r'"(?:[^"\\]|\\.)*"'
_BRACKETS = r"[\[\]{}]"


class NestedTooDeeply(ValueError):
    """JSON nested deeper than MAX_NESTING."""


def check_nesting(text: str) -> None:
    """NestedTooDeeply when ``text`` (JSON) nests `[` and `{` deeper than MAX_NESTING; cheap for
    the usual input (two counts), a scan of its brackets outside strings otherwise."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return
    depth = 0
    for bracket in re.findall(_BRACKETS, re.sub(_STRING, "", text)):
        if bracket in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise NestedTooDeeply(f"nested more than {MAX_NESTING} deep")
        else:
            depth -= 1


def run_decide(
    repo: Any,
    program: str,
    decision: str,
    marketplace: str,
    at: str | None,
    source: TextIO,
    out: TextIO,
    explain: bool = False,
    fmt: str = "json",
    progress: Callable[[int], None] | None = None,
    lines: bool = False,
) -> bool:
    """Answer every input in ``source``; returns True when any input failed. ``progress``: told the
    number of lines read so far, every few hundred lines of a batch (JSON Lines). ``fmt`` "text":
    each answer as `as_text` gives it, a batch's each after its input's `file:line`; "json": a
    batch's each on a line of its own that starts with its input's `line` (blank lines counted).
    ``lines`` (`decide --lines`), or a source named like JSON Lines (`lines_file`): a batch whatever
    it holds, a single line too; otherwise a batch only when it holds more than one input line."""
    compiled = repo.compiled(program, decision)  # `repo`: a Repository, or a Bundle
    resolved = repo.resolve(program, marketplace, at)  # `at` or today in the marketplace's time zone
    day = resolved.at  # checked and normalised by `resolve`
    params = repo.params(program, marketplace, day)
    name = getattr(source, "name", "<input>")
    name = "<stdin>" if name in ("-", "<stdin>") else name
    lines = lines or lines_file(name)
    zone = decided_for(resolved).get("time_zone")

    def write(body: dict[str, Any]) -> None:  # one input's answer, or the problem that refused it
        if fmt == "text":
            out.write(as_text(f"{program}.{decision}", marketplace, day, body, zone))
        else:  # (`answer` made sure it is JSON)
            out.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")

    # A byte that is not UTF-8 is its line's problem, and the batch goes on, as the service and a
    # JSON Lines table read one: read strictly, the first such byte ended the batch, at the line
    # where the reader's last block began (a byte on line 3,000 was said at 2,731, and every later
    # line went unanswered). Each such byte is read as the lone surrogate that stands for it.
    strict = getattr(source, "errors", None) == "strict" and hasattr(source, "reconfigure")
    if strict:
        source.reconfigure(errors="surrogateescape")  # type: ignore[attr-defined]  # (a TextIOWrapper's)
    try:
        return _run(compiled, params, day, resolved, name, source, out, explain, fmt, progress, write, lines)
    finally:
        if strict:
            # given back as it came where the stream allows it: not while it holds text read ahead
            # (the reader of the answers went away mid-batch: that is told, not this)
            try:
                source.reconfigure(errors="strict")  # type: ignore[attr-defined]
            except ValueError:
                pass


def _run(
    compiled: Any,
    params: dict[str, Any],
    day: str,
    resolved: Any,
    name: str,
    source: TextIO,
    out: TextIO,
    explain: bool,
    fmt: str,
    progress: Callable[[int], None] | None,
    write: Callable[[dict[str, Any]], None],
    lines: bool,
) -> bool:
    """`run_decide` once its input is read with each byte that is not UTF-8 as its surrogate."""
    try:
        lines_mode, head = _json_lines(source, lines)
        if head and head[0].startswith(BOM):  # (RFC 8259: a parser may ignore one; Windows tools write it)
            head[0] = head[0][1:]
        text = "" if lines_mode else "".join(head) + source.read()
        # (a .jsonl name and --lines both say "JSON Lines": a pretty-printed object in either is said once)
        by: Literal["name", "--lines"] = "name" if lines_file(name) else "--lines"
        document = document_in_lines(name, head, source, by) if lines_mode and (lines or by == "name") else None
    except UnicodeDecodeError as e:
        write(_refused(_not_text(name, 1, e)))
        return True
    first = head[0] if head else text[:512]
    if first[:1] in ("\udcff", "\udcfe") or "\0" in first:  # (bytes not UTF-8 are read as their surrogates)
        from engine.source.loader import wide_text

        wide = wide_text(first[:512].encode("utf-8", "surrogateescape"), "the input")
        if wide is not None:  # said once, not as a line of problems for each of its lines
            write(_refused(Problem(name, 1, 1, "D004", *wide)))
            return True
    if document is not None:  # said once, not as a problem on each of its lines
        if fmt == "text":
            out.write(f"{name}:{document.line}: ")
            write(_refused(document))
        else:
            out.write(line_encoder()({"line": document.line, "problems": [document.to_json()]}) + "\n")
        return True
    if lines_mode and fmt == "text":
        return _stream_text(compiled, params, day, resolved, name, head, source, out, explain, progress, write)
    if lines_mode:
        return _stream(compiled, params, day, resolved, name, head, source, out, explain, progress)
    wrong = None if text.isascii() else _not_utf8(name, text)
    if wrong is not None:
        write(_refused(wrong))
        return True
    try:
        inputs = read_json(text)
    except (ValueError, RecursionError, UnicodeEncodeError) as e:  # ValueError: also a 5,000-digit number
        hint = "give one JSON object, or one object per line (JSON Lines)"
        write(_refused(_not_json(name, 1, e, hint)))
        return True
    body, failed = answer(compiled, inputs, params, day, resolved, explain, Pos(name), text=text)
    write(body)
    return failed


def answer(
    compiled: Any,
    inputs: Any,
    params: dict[str, Any],
    day: str,
    resolved: Any,
    explain: bool,
    pos: Pos,
    several: str = SEVERAL,
    text: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """One input's answer as `decide` prints it (explained or not) and whether it failed; an answer
    that JSON cannot carry (NaN, infinity) or that is too large to print is refused, with why.
    ``several``: the hint when the input is an array (answer.SEVERAL); ``text``: the JSON the input
    was read from, starting at ``pos``, where its problems are placed."""
    result = compiled.decide(inputs, params, day, pos, several, text)
    # the day it answered for, in the marketplace's zone, as /v1/decide's every answer says it
    body = _explained(result, resolved) if explain else {**result.to_json(), **decided_for(resolved)}
    try:
        size = len(json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False)) + 1
    except ValueError:  # NaN or infinity is not JSON: the answer is refused, not printed
        return _refused(not_finite(result, pos.file, pos.line)), True
    if size > MAX_ANSWER:
        return _refused(_too_large(pos.file, pos.line, size)), True
    return body, not result.ok or (explain and _explained_failed(body))


def _refused(problem: Problem) -> dict[str, Any]:
    return {"problems": [problem.to_json()]}


def _stream_text(
    compiled: Any,
    params: dict[str, Any],
    day: str,
    resolved: Any,
    name: str,
    head: list[str],
    source: TextIO,
    out: TextIO,
    explain: bool,
    progress: Callable[[int], None] | None,
    write: Callable[[dict[str, Any]], None],
) -> bool:
    """A batch for people (`--format text`): each input's answer as a single input's is written,
    after the `file:line` of the input, with a blank line between answers."""
    failed = False
    lines = itertools.chain(head, source)
    for count, (number, body, bad) in enumerate(_answers(compiled, params, day, resolved, name, lines, explain), 1):
        out.write(("\n" if count > 1 else "") + f"{name}:{number}: ")
        write(body)
        failed = failed or bad
        if progress is not None and count % _CHUNK == 0:
            progress(number)
    return failed


def _answers(
    compiled: Any,
    params: dict[str, Any],
    day: str,
    resolved: Any,
    name: str,
    lines: Iterator[str],
    explain: bool,
) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """(line number, answer, whether it failed) of each input of a batch, its lines read as
    `_stream` reads them: a blank line skipped (but counted), a line that is not JSON its own
    problem, and the batch goes on; input that is not UTF-8 text ends it with its problem."""
    number = 0
    try:
        for line in lines:
            number += 1
            if blank(line):
                continue
            wrong = None if line.isascii() else _not_utf8(name, line, number)
            if wrong is not None:
                yield number, _refused(wrong), True
                continue
            try:
                inputs = read_json(line)
            except (ValueError, RecursionError, UnicodeEncodeError) as e:  # ValueError: also a 5,000-digit number
                yield number, _refused(_not_json(name, number, e, "one JSON object per line")), True
                continue
            body, failed = answer(
                compiled, inputs, params, day, resolved, explain, Pos(name, number, 1), SEVERAL_ON_A_LINE, line
            )
            yield number, body, failed
    except UnicodeDecodeError as e:  # the rest of the input cannot be read
        yield number + 1, _refused(_not_text(name, number + 1, e)), True


def _stream(  # noqa: C901 - the batch's hot loop, kept whole: a call per line would cost more than the decision
    compiled: Any,
    params: dict[str, Any],
    day: str,
    resolved: Any,
    name: str,
    head: list[str],
    source: TextIO,
    out: TextIO,
    explain: bool,
    progress: Callable[[int], None] | None = None,
) -> bool:
    decoder = DECODER
    # scan_once is set by JSONDecoder.__init__, which typeshed leaves out
    decode, scan = decode_json, decoder.scan_once  # type: ignore[attr-defined]
    encode = line_encoder()
    validate, evaluate, invalid = compiled.validate_inputs, compiled.evaluate, compiled.invalid
    # Most inputs fit: the generated yes/no check answers them; only the rest get messages.
    fits = compiled.fits
    # Every line starts with the number of the input line it answers (`{"line":3,`: blank lines are
    # counted, so a client maps answers to lines), then the answer without its `{` and with its
    # line end, which is what the memos below keep: the buffer holds the two pieces, so a line
    # written again from a memo is not copied until the chunk is joined. A result's answer depends
    # only on the rows that matched and the outputs' values and types, and batches repeat a few
    # outcomes: encode each once (floats are left out: 0.0 == -0.0).
    lines: dict[Any, Any] = {}
    # A row whose outputs are constants always gives the same answer: once `row_of` names the row,
    # the answer encoded the first time is written again, without building the result.
    row_of = _no_row if explain else compiled.row_of
    by_row: dict[int | None, str] = {}  # None (no row named) is looked up, never stored
    failed = False
    buffer: list[str] = []  # the text of each line, in a piece or two
    piece = buffer.append
    number = 0
    # each answer ends with the day it answered for and the marketplace's zone (as a single answer,
    # and /v1/decide's): encoded once, after the outputs of a line encoded once per outcome
    when = decided_for(resolved)
    tail = ("," + encode(when)[1:] if when else "}") + "\n"
    try:
        for line in itertools.chain(head, source):  # not a generator: one fewer frame per line
            number += 1
            if not line or (line.isspace() and blank(line)):  # (isspace first: no copy of the usual line)
                continue
            if not line.isascii() and (wrong := _not_utf8(name, line, number)) is not None:
                failed = True
                piece(encode({"line": number, "problems": [wrong.to_json()]}) + "\n")
                continue
            try:
                if line.count("[") + line.count("{") > MAX_NESTING:  # check_nesting's first test, without its call
                    check_nesting(line)
                # The usual line, `{...}` and a newline, read by the scanner directly (a third faster
                # than decode); anything else goes through decode, which reads it or says why not.
                try:
                    inputs, end = scan(line, 0)
                except (StopIteration, ValueError, RecursionError):
                    end = 0  # decode says why
                if line[end:] not in _LINE_ENDS:  # read without its end, as the service reads a line
                    inputs = decode(line[:-1] if line[-1:] == "\n" else line)
                if "\\u" in line:  # an escaped lone surrogate reads as a str no output can encode
                    _check_unicode(inputs)
            except (ValueError, RecursionError, UnicodeEncodeError) as e:  # ValueError: also a 5,000-digit number
                failed = True
                problem = _not_json(name, number, e, "one JSON object per line")
                piece(encode({"line": number, "problems": [problem.to_json()]}) + "\n")
                continue
            # as compiled.decide, with the Pos made only when needed
            if fits(inputs) or not (messages := validate(inputs)):
                row = row_of(inputs, params, day)
                text = by_row.get(row, "")  # an encoded answer is never empty
                result = None if text else evaluate(inputs, params, day)
            else:
                row, result = None, invalid(inputs, messages, Pos(name, number, 1), SEVERAL_ON_A_LINE, line)
            if result is not None:
                if result.problems and not result.ok:  # `ok` looks at the problems: none, nothing to ask
                    failed = True
                try:
                    if explain:
                        said = _explained(result, resolved)
                        failed = failed or _explained_failed(said)
                        text = encode(said)[1:] + "\n"
                    elif result.problems:
                        text = encode({**result.to_json(), **when})[1:] + "\n"
                    else:
                        text = _line(result, lines, encode, tail)
                        if row is not None:
                            by_row[row] = text
                except ValueError:  # NaN or infinity is not JSON: this answer is refused, the batch goes on
                    failed = True
                    text = encode({"problems": [not_finite(result, name, number).to_json()]})[1:] + "\n"
            if len(text) > MAX_ANSWER:  # (without its `{`, with its line end: the answer's length)
                failed = True
                text = encode({"problems": [_too_large(name, number, len(text)).to_json()]})[1:] + "\n"
            piece(f'{{"line":{number},')
            piece(text)
            if len(buffer) >= 2 * _CHUNK:
                out.write("".join(buffer))
                buffer.clear()
                if progress is not None:  # (once per chunk: nothing more per line)
                    progress(number)
    except UnicodeDecodeError as e:  # the rest of the input cannot be read
        failed = True
        piece(encode({"line": number + 1, "problems": [_not_text(name, number + 1, e).to_json()]}) + "\n")
    if buffer:
        out.write("".join(buffer))
    return failed


def _no_row(inputs: Any, params: Any, at: Any) -> None:
    return None


def line_encoder() -> Callable[[Any], str]:
    """``json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode``: the
    same text and the same errors, from one C encoder made once (that method makes one, and a
    Python float formatter, on every call: ~40 % of encoding a batch line's few outputs)."""
    from json import encoder as std

    slow = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    make = getattr(std, "c_make_encoder", None)  # (typeshed leaves it out)
    if make is None:  # (a Python without the C accelerator)
        return slow.encode
    markers: dict[int, Any] = {}  # as check_circular's: empty again after each call that returns
    fast = make(markers, slow.default, std.encode_basestring, None, ":", ",", False, False, False)

    def encode(o: Any) -> str:
        try:
            return "".join(fast(o, 0))
        except BaseException:  # (NaN, a value JSON has no form for): what was being encoded is forgotten
            markers.clear()
            raise

    return encode


def _line(result: Any, lines: dict[Any, Any], encode: Callable[[Any], str], tail: str) -> str:
    """The JSON of a result without problems, without its opening `{` (a batch's line puts its
    `"line":N,` there) and ending with ``tail`` (`at` and `time_zone`, the closing brace and the
    line end) instead of its `}`, encoded once per distinct outcome; with a float output (no outcome to reuse: 0.0 ==
    -0.0), only the outputs are encoded, between the rest of the text as encoded once per deciding
    row (and then so for every later result of that row: the same text)."""
    outputs = result.outputs
    around: tuple[str, str] | tuple[()] | None = lines.get((result.matches, result.default_used))
    if around:
        return around[0] + encode(outputs) + around[1]
    values = tuple(outputs.values())
    types = tuple(map(type, values))
    if float in types:
        if around is None:
            around = _around(result, encode, tail)
            if len(lines) < 4096:
                lines[(result.matches, result.default_used)] = around
        if around:
            return around[0] + encode(outputs) + around[1]
        return encode(result.to_json())[1:-1] + tail
    key = (result.matches, result.default_used, tuple(outputs), values, types)
    try:
        text: str | None = lines.get(key)
    except TypeError:  # an unhashable output (a list, a mapping)
        return encode(result.to_json())[1:-1] + tail
    if text is None:
        text = encode(result.to_json())[1:-1] + tail
        if len(lines) < 4096:
            lines[key] = text
    return text


def _around(result: Any, encode: Callable[[Any], str], tail: str) -> tuple[str, str] | tuple[()]:
    """The text of ``result``'s answer as ``_line`` gives it (no opening `{`, ending with ``tail``)
    before and after its outputs; () when it cannot be cut there."""
    whole, outputs = encode(result.to_json())[1:], encode(result.outputs)
    head = encode({"decision": result.decision, "outputs": None})[1 : -len("null}")]
    if not whole.startswith(head + outputs):
        return ()
    return head, whole[len(head) + len(outputs) : -1] + tail


def as_text(target: str, marketplace: str, day: str, body: dict[str, Any], zone: str | None = None) -> str:
    """A result (explained or not), or the problem that refused one, as a policy author reads it;
    the day in the marketplace's time zone ``zone`` (else the one ``body`` gives), on every
    answer's head alike: a batch's and a plain answer's said the day without it."""
    outputs = ", ".join(f"{k} = {_value(v)}" for k, v in body.get("outputs", {}).items()) or "no outputs"
    zone = zone or body.get("time_zone")
    lines = [f"{target} in {marketplace} on {day}{f' ({zone})' if zone else ''}: {outputs}"]
    for p in body["problems"]:  # each at its place, as every report of problems says it
        lines.append(f"  {p['file']}:{p['line']}:{p['column']}: {p['severity']}[{p['code']}] {p['message']}")
        if p.get("hint"):  # (as every problem report: what to do about it)
            lines.append(f"    hint: {p['hint']}")
    if body.get("rows"):  # none tried: the inputs were rejected, or a `let` failed
        width = max((len(r["id"]) for r in body["rows"]), default=0)
        lines.append("rows tried:")
        for row in body["rows"]:
            mark = {True: "match", False: "no", None: "error"}[row["matched"]]
            lines.append(f"  {mark:<5}  {row['id']:<{width}}  {row['when'] or '(always)'}    [{row['at']}]")
    for reason in body.get("reasons", ()):  # (none in an answer refused: only its problem)
        lines.append(f"because: {reason}")
    if body.get("let"):
        lines.append("let:")
        lines += [f"  {k} = {_value(v)}" for k, v in body["let"].items()]
    if body.get("params"):
        lines.append("parameters used:")
        for k, v in body["params"].items():
            lines += _read(k, v)
    if body.get("params_on"):
        lines.append("parameters read on other days:")
        for v in body["params_on"]:
            lines += _read(f"{v['parameter']} on {v['on']}", v)
    if body.get("rests_on"):  # (as `diff` marks an answer: never stated as fact)
        names = [r["parameter"] for r in body["rests_on"]]
        lines.append(f"rests on {'an assumption' if len(names) == 1 else 'assumptions'}: {', '.join(names)}")
    # each line one line, as every text report's (engine.problems.one_line): a reason or an input's
    # key can hold a line break (`::error::` would start a workflow command in a CI log), a
    # terminal's escape or a bidirectional override
    return "\n".join(map(one_line, lines)) + "\n"


def _read(name: str, v: dict[str, Any]) -> list[str]:
    """A parameter read, as `Explanation.to_json` gives it (``v``), for people: its value, where it
    is written (`file:line`), its layer, what of it is assumed and the day it ends, then what it
    rests on, each on its own line (``evidence_text``, as `history` says a change's): its `source`,
    its `assumption`, its `note`, and the assumption the day it ends is (`assumption (until DAY)`):
    the same facts as the JSON, and an assumption never shown without being called one. A read
    whose entry is not known (no `from`) is its value alone."""
    if "from" not in v:
        return [f"  {name} = {_value(v['value'])}"]
    until = v.get("until")
    ends = "" if until is None else f"; until {until['day']}{' (date assumed)' if 'assumption' in until else ''}"
    lines = [f"  {name} = {_value(v['value'])}    [{v['from']}, {v['origin']}{_assumed(v)}{ends}]"]
    return lines + [f"    {line}" for line in evidence_text(v)]


def _assumed(v: dict[str, Any]) -> str:
    """What of a parameter explained is assumed, as `history` says it (`; assumed: value`); an
    assumed date is said by its origin already ("change from 2025-01-01 (date assumed)")."""
    said = [a for a in v.get("assumed", ()) if a != "date"] if v.get("assumption") else []
    return f"; assumed: {', '.join(said)}" if said else ""


def _value(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


# JSON Lines, as `decide` (a batch on its input) and the service's POST /v1/batch read it alike:
# every line on its own, numbered as the input's lines are; a blank line is skipped (still
# counted); a line that is not JSON gets its own problem at its own number and the batch goes on.
# Blank: nothing but the whitespace JSON allows between values (RFC 8259: space, tab, CR, LF), so
# a line of other white space (U+00A0, a form feed) is a line that is not JSON, in both.
JSON_SPACE = " \t\r\n"
BOM = "\ufeff"  # a byte order mark at the start of an input is ignored (by `decide`, the service, tables)
_JSON_SPACE_BYTES = JSON_SPACE.encode()


def blank(line: str | bytes) -> bool:
    """Whether a JSON Lines batch skips ``line`` (the rule above; text or, in the service, bytes)."""
    if isinstance(line, bytes):
        return not line.strip(_JSON_SPACE_BYTES)
    return not line.strip(JSON_SPACE)


def lines_file(name: str) -> bool:
    """Whether ``decide --input NAME`` is JSON Lines by its name (`.jsonl`, `.ndjson`, in any case):
    a batch, even of one line, whose answers are each on a line of their own. A batch job's file
    that happened to hold one input was answered as a single document (pretty-printed, no `line`),
    which a reader of answer lines could not read."""
    return name.lower().endswith((".jsonl", ".ndjson"))


def _json_lines(source: TextIO, lines: bool = False) -> tuple[bool, list[str]]:
    """Whether ``decide``'s input is JSON Lines (a batch), and the lines read to tell, which the
    answer starts from. Always, when ``lines`` (the first line read, for its byte order mark).
    Else one document when it has a single line that is not blank (`{"units": 5}`),
    or when its first such line begins a JSON value that goes on over the next lines (a
    pretty-printed object's `{`). Otherwise a batch, read as the service reads one (above): a
    blank line or a line that is not JSON among the first ones no longer made the whole batch one
    document and one problem (`{"units": 5}`, a blank line, `{"units": 6}`: "Extra data")."""
    head: list[str] = []
    if lines:
        first = source.readline()
        return True, [first] if first else head
    found = _first_inputs(head, source)
    return len(found) == 2 and not goes_on(found[0][1]), head


def _first_inputs(head: list[str], source: TextIO) -> list[tuple[int, str]]:
    """The first two lines of ``head`` and then ``source`` that are not blank, with their numbers;
    the lines read from ``source`` to find them are added to ``head`` (the batch starts from it)."""
    found = [(number, line) for number, line in enumerate(head, 1) if not blank(line)]
    while len(found) < 2:
        line = source.readline()
        if not line:
            break
        head.append(line)
        if not blank(line):
            found.append((len(head), line))
    return found[:2]


# How an input came to be read as JSON Lines -> (the problem's words when it holds one
# pretty-printed document, the way out): by its name, by `--lines`, as a table (`--output`), as the
# service's batch
_ONE_DOCUMENT = {
    "name": (
        "a JSON Lines file holds one object per line",
        "write each object on a line of its own; for one input written over several lines, give a `.json` file",
    ),
    "--lines": (
        "with --lines each line is one input",
        "write each object on a line of its own; for one input written over several lines, leave out --lines",
    ),
    "table": ("a JSON Lines table holds one row's object per line", "write each row's object on a line of its own"),
    "batch": (
        "a batch holds one object per line",
        "write each object on a line of its own; for one input written over several lines, POST it to /v1/decide",
    ),
}
OneDocument = Literal["name", "--lines", "table", "batch"]


def document_in_lines(name: str, head: list[str], source: TextIO, by: OneDocument = "name") -> Problem | None:
    """The problem of JSON Lines (a file so named, or made so ``by`` `--lines` or a table's
    `--output`) that holds one pretty-printed JSON document (``one_document``). The lines read to
    tell are added to ``head``, which the batch starts from."""
    found = _first_inputs(head, source)
    if len(found) < 2:
        return None
    (number, first), (_, second) = found
    return one_document(name, number, first, second, by)


def one_document(name: str, number: int, first: str, second: str, by: OneDocument) -> Problem | None:
    """The problem of JSON Lines whose first input line (``first``, line ``number``) opens an object
    (or a list) that does not close on it, and whose next one (``second``) is no input of its own:
    one pretty-printed JSON document (a batch whose first line is cut short is still a batch). Each
    of its lines was a problem of its own, the first one's hint "finish it and close it with `}`"."""
    if not goes_on(first) or _an_input(second):
        return None
    col = len(first) - len(first.lstrip(JSON_SPACE)) + 1
    what = "object" if first.lstrip(JSON_SPACE).startswith("{") else "list"
    said, hint = _ONE_DOCUMENT[by]
    return Problem(name, number, col, "D004", f"{said}, but this {what} goes on over the next lines", hint)


def _an_input(line: str) -> bool:
    """Whether ``line`` is a JSON value of its own."""
    try:
        read_json(line.rstrip(JSON_SPACE))
    except (ValueError, RecursionError, UnicodeEncodeError):
        return False
    return True


def goes_on(line: str) -> bool:
    """Whether ``line`` is the start of a JSON value continued on the next lines: it is not JSON
    only because it ends too soon (JSON breaks no string, number or literal over lines, so a line
    cut anywhere else, or wrong before its end, is a line that is not JSON)."""
    # (a string cut by the line's end is cut before it, not at it; a byte order mark, which JSON
    # refuses, is refused once, in the document, rather than on each of its lines)
    text = line.rstrip(JSON_SPACE).removeprefix("\ufeff")
    try:
        check_nesting(text)
        json.loads(text)
    except json.JSONDecodeError as e:
        return e.pos >= len(text)
    except (ValueError, RecursionError):
        return False
    return False


def read_json(text: str) -> Any:
    """A decision input (or request) as JSON, read as every entry point reads one: nesting bounded
    (`check_nesting`), no lone surrogate (`_check_unicode`). ValueError, RecursionError or
    UnicodeEncodeError say why not (`_not_json` words them)."""
    check_nesting(text)
    value = decode_json(text)
    if "\\u" in text:
        _check_unicode(value)
    return value


def decode_json(text: str) -> Any:
    """``DECODER.decode``, a `NaN` refused at its place (Python's reader takes it; JSON has no such
    number)."""
    try:
        return DECODER.decode(text)
    except notjson.NotANumber as e:
        raise json.JSONDecodeError("not a number", text, notjson.find_outside_strings(text, e.word)) from None


def _check_unicode(inputs: Any) -> None:
    """UnicodeEncodeError when the input holds a lone surrogate (`"\\ud800"`): JSON can escape one,
    but it is no character, and answering would fail when the result is written."""
    json.dumps(inputs, ensure_ascii=False).encode("utf-8")


class DuplicateKey(ValueError):
    """A JSON object giving one key twice: which value was meant? (Python's reader keeps the last.)"""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found


# Every JSON input (`decide`, the service, a JSON Lines table) is read by this: an object giving a
# key twice is refused (`{"marketplace": "us", "marketplace": "de"}` answered for `de`), as YAML's
# duplicate keys are (Y012). ~0.2 µs a line.
DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=notjson.refuse_constant)


def _not_json(name: str, line: int, e: Exception, hint: str) -> Problem:
    """Why a JSON text that starts on ``line`` of ``name`` was refused, in words for people
    (engine.decisions.notjson); ``hint``: the caller's, for data after the value."""
    if isinstance(e, DuplicateKey):
        return Problem(
            name, line, 1, "D004", f"not valid JSON here: the key `{e.key}` is given twice", "give each key once"
        )
    if isinstance(e, json.JSONDecodeError):
        pos, message, better = notjson.explain(e.doc, e.pos, e.msg, hint)
        return Problem(name, *_place(e.doc, pos, line), "D004", message, better)
    if isinstance(e, (RecursionError, NestedTooDeeply)):
        return Problem(name, line, 1, "D004", f"not valid JSON here: nested more than {MAX_NESTING} deep", hint)
    if isinstance(e, ValueError) and not isinstance(e, UnicodeError):  # int() refuses more than 4,300 digits
        return Problem(
            name, line, 1, "D004", "a number has more digits than any input needs (the limit is 4,300)", hint
        )
    return Problem(
        name,
        line,
        1,
        "D004",
        "not Unicode text: a lone surrogate (`\\ud800`-`\\udfff`) escaped in a string",
        "escape characters beyond U+FFFF as a surrogate pair, or write them as UTF-8",
    )


def _place(doc: str, pos: int, first: int) -> tuple[int, int]:
    """(line, column) of ``pos`` in ``doc``, whose first line is line ``first``."""
    start = doc.rfind("\n", 0, pos) + 1
    return first + doc.count("\n", 0, pos), pos - start + 1


_NOT_FINITE_HINT = "check the expression that computes it, e.g. a division by a very small number"


def not_finite(result: Any, name: str, line: int) -> Problem:
    """D005 for an answer JSON cannot carry: at the expression (or value) of the decision file
    that gave the output NaN or infinity, as an expression's failure is placed, naming the row and
    the output; the input's line is the batch answer's own (`line`, or `file:line:` in text).
    At ``name``:``line`` only when no output is the one (a `let` shown by `--explain`, found by
    explaining again) or the decision's places are not known."""
    found = _not_finite_output(result)
    if found is None:
        found = _not_finite_let(result)
    if found is None:
        return Problem(
            name, line, 1, "D005", "an output is not a finite number (NaN or infinity is not JSON)", _NOT_FINITE_HINT
        )
    pos, where, value, source = found
    said = "NaN" if value != value else ("infinity" if value > 0 else "minus infinity")
    gave = f"`{source}` gives {said}" if source is not None else f"is {said}"
    return Problem.at(
        pos, "D005", f"{where}: {gave}, not a finite number (JSON has no NaN or infinity)", _NOT_FINITE_HINT
    )


def _non_finite(value: Any) -> float | None:
    """The first NaN or infinity in an output's value (lists and objects looked into), or None."""
    if type(value) is float:
        return None if value - value == 0 else value  # (inf - inf and nan - nan are NaN)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _non_finite(item)
            if found is not None:
                return found
    return None


def _not_finite_output(result: Any) -> tuple[Pos, str, float, str | None] | None:
    compiled = result[6] if len(result) > 6 else None
    if compiled is None:
        return None
    decision = compiled.decision
    rules = {r.id: r for r in decision.rules}
    for key, value in result.outputs.items():
        bad = _non_finite(value)
        if bad is None:
            continue
        how = (decision.aggregate or {}).get(key)
        if result.default_used:
            written, place, where = (
                (decision.default or {}).get(key),
                decision.default_pos.get(key, decision.pos),
                "`default`",
            )
        elif decision.hit == "collect" and how not in (None, "list"):  # over the rows: the aggregate's doing
            return decision.pos, f"`aggregate` `{how}` of output `{key}`", bad, None
        else:
            # a `collect` table's output lists each matched row's value in the order of `matches`
            collected = decision.hit == "collect" and isinstance(value, list) and len(value) == len(result.matches)
            index = next((i for i, v in enumerate(value) if _non_finite(v) is not None), 0) if collected else 0
            rule = rules.get(result.matches[index]) if result.matches else None
            if rule is None:
                return None
            written, place, where = rule.then.get(key), rule.then_pos.get(key, rule.pos), f"row `{rule.id}`"
        source = getattr(written, "source", None)
        return getattr(written, "pos", place), f"{where}, output `{key}`", bad, source
    return None


def _not_finite_let(result: Any) -> tuple[Pos, str, float, str | None] | None:
    """A `let` whose value is NaN or infinity, which only `--explain` shows: explained again (a
    refused answer's cost, never an answer's)."""
    if len(result) <= 7 or result[7] is None:
        return None
    lets = result[6].decision.let or {}
    for name, value in result.explain().lets.items():
        bad = _non_finite(value)
        if bad is not None and name in lets:
            return lets[name].pos, f"`let` `{name}`", bad, lets[name].source
    return None


def _too_large(name: str, line: int, size: int) -> Problem:
    return Problem(
        name,
        line,
        1,
        "D005",
        f"the answer is {size:,} characters of JSON, over the limit of {MAX_ANSWER:,}",
        "check the outputs that repeat or join large values",
    )


# what a byte that is not UTF-8 is read as with the "surrogateescape" handler (0xdc00 + the byte)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _not_utf8(name: str, text: str, line: int = 0) -> Problem | None:
    """The problem of the first byte of ``text`` (read with "surrogateescape") that is not UTF-8, at
    its line (``line``, else counted in ``text``); None when every byte is."""
    found = _ESCAPED_BYTE.search(text)
    if found is None:
        return None
    return Problem(
        name,
        line or text.count("\n", 0, found.start()) + 1,
        1,
        "D004",
        f"the input is not UTF-8 text (byte 0x{ord(found.group()) - 0xDC00:02x})",
        "save the input as UTF-8",
    )


def _not_text(name: str, line: int, e: UnicodeDecodeError) -> Problem:
    return Problem(
        name,
        line,
        1,
        "D004",
        f"the input is not UTF-8 text (byte 0x{e.object[e.start]:02x})",
        "save the input as UTF-8",
    )


def decided_for(resolved: Any) -> dict[str, Any]:
    """`at` and `time_zone`: the day (in the marketplace's zone) and the zone every date in the
    decision was judged in, as an explanation gives them (and the service's every answer)."""
    mp = getattr(resolved, "marketplace", None)
    when = {"at": getattr(resolved, "at", None), "time_zone": getattr(mp, "time_zone", None)}
    return {k: v for k, v in when.items() if v is not None}


def _explained_failed(body: dict[str, Any]) -> bool:
    """Whether an explained answer (``_explained``) has an error. It explains the answer, problems
    and all, but runs code of its own (each expression compiled alone: a forged bundle's may fail
    where the answer's did not), and an answer with problems exits 1, explained or not."""
    return any(p["severity"] == "error" for p in body["problems"])


def _explained(result: Any, resolved: Any) -> dict[str, Any]:
    """The explanation as `decide --explain` prints it (``Explanation.to_json``: each parameter read
    with the file:line its value came from); inputs refused before evaluating (a batch's line keeps
    no parameters in its result) with the day and the zone of ``resolved``, as ``to_json`` says them."""
    from engine.decisions.explain import refused_json
    from engine.decisions.result import evaluated

    if not evaluated(result):
        return refused_json(result, decided_for(resolved))
    body: dict[str, Any] = result.explain().to_json()
    return body
