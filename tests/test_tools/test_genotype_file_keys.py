"""Malformed genotype files end in one clear error, the same in every loader:
JSON nested beyond the recursion limit, and the documented rule for keys left
out (``op_set`` / ``steps``: an error naming the key; ``format`` /
``version``: a warning naming the value taken)."""
import json
import warnings

import pytest
import torch

from mmddarts.structures import Genotype, GenotypeError, GenotypeWarning

from test_tool_input_errors import GENO, run_tool  # noqa: E402
from mmddarts.structures.loading import load_genotype  # noqa: E402

DEEP = '[' * 100000 + ']' * 100000


def _full():
    with open(GENO) as f:
        return json.load(f)


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def _one_line(code, err, *fragments):
    assert code not in (0, None), err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and 'Traceback' not in err, err
    for f in fragments:
        assert f in lines[0], lines[0]


def test_deep_nesting_is_a_genotype_error(tmp_path):
    path = _write(tmp_path, 'deep.json', DEEP)
    with pytest.raises(GenotypeError, match='deep.json: JSON nested too '
                       'deeply'):
        load_genotype(path)
    obj = _write(tmp_path, 'deep_obj.json', '{"a": ' * 100000 + '1' +
                 '}' * 100000)
    with pytest.raises(GenotypeError, match='nested too deeply'):
        load_genotype(obj)
    # a legacy Genotype(...) text nested as deep
    legacy = _write(tmp_path, 'deep.txt', 'Genotype_nested(genes=' + DEEP +
                    ', reductions=[1])')
    with pytest.raises(GenotypeError, match='deep.txt'):
        load_genotype(legacy)


@pytest.mark.parametrize('tool,argv', [
    ('draw_genotype.py', lambda p: [p, '--out', p + '.png']),
    ('analysis_tools/arch_distance.py', lambda p: [p, GENO]),
])
def test_tools_say_one_line_for_deep_nesting(tool, argv, tmp_path):
    path = _write(tmp_path, 'deep.json', DEEP)
    _one_line(*run_tool(tool, argv(path)), 'deep.json', 'nested too deeply')


def test_other_json_loaders_too(tmp_path):
    from mmddarts.models.backbones.net_arch import decode_arch
    from mmddarts.structures.distance import OpScores
    path = _write(tmp_path, 'scores.json', DEEP)
    with pytest.raises(ValueError, match='scores.json: JSON nested too'):
        OpScores.load(path)
    code, err = run_tool('analysis_tools/arch_distance.py',
                         [GENO, GENO, '--scores', path])
    _one_line(code, err, 'scores.json', 'nested too deeply')
    record = torch.tensor(list(DEEP.encode()), dtype=torch.uint8)
    with pytest.raises(ValueError, match='backbone._extra_state: '
                       'unreadable'):
        decode_arch(record, 'backbone._extra_state')


@pytest.mark.parametrize('key', ['op_set', 'steps'])
def test_missing_op_set_or_steps_is_an_error_naming_it(key, tmp_path):
    data = _full()
    del data[key]
    path = _write(tmp_path, 'g.json', data)
    with pytest.raises(GenotypeError, match=rf"g.json: missing key\(s\) "
                       rf"\['{key}'\]"):
        load_genotype(path)
    with pytest.raises(GenotypeError, match=key):
        Genotype.from_dict(data)
    for tool, argv in (('draw_genotype.py', [path, '--out', path + '.png']),
                       ('analysis_tools/arch_distance.py', [path, GENO])):
        _one_line(*run_tool(tool, argv), 'g.json', f"missing key(s) "
                  f"['{key}']")


@pytest.mark.parametrize('key,default', [('format', "'mmddarts.genotype'"),
                                         ('version', '1')])
def test_missing_format_or_version_warns_naming_the_default(
        key, default, tmp_path):
    data = _full()
    del data[key]
    path = _write(tmp_path, 'g.json', data)
    with pytest.warns(GenotypeWarning) as seen:
        g = load_genotype(path)
    assert g == load_genotype(GENO)
    msgs = [str(w.message) for w in seen]
    assert msgs == [f"{path}: no '{key}' key; taking {default}"]
    # a complete file warns about nothing
    with warnings.catch_warnings(record=True) as clean:
        warnings.simplefilter('always')
        load_genotype(GENO)
    assert not [w for w in clean if w.category is GenotypeWarning]
