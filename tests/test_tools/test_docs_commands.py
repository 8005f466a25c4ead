"""Every ``python tools/...`` command shown in a ```bash block of README.md
and docs/*.md parses with that tool's own argparse parser: a renamed or
removed flag, or a wrong number of positional arguments, fails here and not
in a user's shell. ``bash tools/dist_train.sh CONFIG N ARGS`` /
``dist_test.sh CONFIG CKPT N ARGS`` are checked as the ``tools/train.py`` /
``tools/test.py`` command they run. Nothing but the parser runs: the parse
is intercepted before the tool does any work."""
import argparse
import glob
import importlib.util
import os.path as osp
import re
import shlex
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIST = {'tools/dist_train.sh': ('tools/train.py', 2),
        'tools/dist_test.sh': ('tools/test.py', 3)}


def bash_blocks(text):
    return re.findall(r'```(?:bash|sh|shell)\n(.*?)```', text, re.S)


def commands(block):
    """Logical lines (``\\`` continuations joined), comments dropped."""
    joined = re.sub(r'\\\n', ' ', block)
    for line in joined.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if words:
            yield words


def unbracket(words):
    """``[--flag VALUE]`` (optional parts, as usage lines write them) ->
    ``--flag VALUE``: the flags inside are checked too."""
    out, group = [], None
    for w in words:
        if group is None and w.startswith('[-'):
            group, w = [], w[1:]
        if group is None:
            out.append(w)
            continue
        end = w.endswith(']')
        group.append(w[:-1] if end else w)
        if end:
            if '...' not in group:  # [--cfg-options ...]: a placeholder
                out += group
            group = None
    return out


def tool_call(words):
    """(tool script, its argv) of a command line, or None."""
    words = unbracket(words)
    for i, w in enumerate(words):
        if w in DIST:
            tool, npos = DIST[w]
            rest = words[i + 1:]
            # CONFIG [CKPT] N: N is the process count, not a tool argument
            return tool, rest[:npos - 1] + rest[npos:]
        if w.startswith('tools/') and w.endswith('.py') and i > 0 and \
                osp.basename(words[i - 1]).startswith('python'):
            return w, words[i + 1:]
    return None


def documented_calls():
    files = [osp.join(REPO, 'README.md')] + sorted(
        glob.glob(osp.join(REPO, 'docs', '*.md')))
    calls = []
    for path in files:
        with open(path) as f:
            text = f.read()
        for block in bash_blocks(text):
            for words in commands(block):
                call = tool_call(words)
                if call:
                    calls.append((osp.relpath(path, REPO), ) + call)
    return calls


class _Parsed(Exception):
    pass


def parse_with_tool(script, argv, monkeypatch):
    """Run the tool's ``main`` up to its ``parse_args``; return the parsed
    namespace or raise ``SystemExit`` (argparse's error)."""
    path = osp.join(REPO, script)
    assert osp.isfile(path), f'{script} does not exist'
    original = argparse.ArgumentParser.parse_args

    def intercept(self, args=None, namespace=None):
        ns = original(self, args, namespace)
        raise _Parsed(ns)

    monkeypatch.setattr(argparse.ArgumentParser, 'parse_args', intercept)
    monkeypatch.setattr(sys, 'argv', [path] + list(argv))
    name = 'docs_tool_' + re.sub(r'\W', '_', script)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        main = getattr(module, 'main')
        try:
            main(list(argv))
        except TypeError as err:
            if 'positional argument' not in str(err):
                raise
            main()
    except _Parsed as parsed:
        return parsed.args[0]
    raise AssertionError(f'{script}: main() returned without parsing '
                         'arguments')


CALLS = documented_calls()


def test_the_docs_show_tool_commands():
    tools = {c[1] for c in CALLS}
    # a broken extraction would make the test below vacuous
    assert len(CALLS) >= 40 and {'tools/train.py', 'tools/test.py',
                                 'tools/export_genotype.py'} <= tools


@pytest.mark.parametrize('doc,script,argv', CALLS,
                         ids=[f'{c[0]}:{c[1]}:{i}'
                              for i, c in enumerate(CALLS)])
def test_documented_command_parses(doc, script, argv, monkeypatch, capsys):
    try:
        parse_with_tool(script, argv, monkeypatch)
    except SystemExit as err:
        msg = capsys.readouterr().err.strip().splitlines()[-1:] or [err]
        pytest.fail(f'{doc}: `{script} {" ".join(argv)}` does not parse: '
                    f'{msg[0]}')


def test_a_renamed_flag_is_caught(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        parse_with_tool('tools/train.py', ['configs/search/ddarts_digits.py',
                                           '--auto-batchsize'], monkeypatch)
    ns = parse_with_tool('tools/train.py',
                         ['configs/search/ddarts_digits.py', '--resume'],
                         monkeypatch)
    assert ns.resume == 'latest'
