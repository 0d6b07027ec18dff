"""Fuzzing: a damaged project file never crashes `builder check`, never runs code it holds, and always ends
with messages that say where the problem is (what "located" means: tests/project_damage.py).

A few hundred damaged files here; scripts/fuzz_projects.py runs the same strategies and judge on 10,000.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from project_damage import (
    CODE_TEXTS,
    README_PROJECT,
    SEEDS,
    SENTINEL,
    Outcome,
    damaged_projects,
    failures,
    run_check,
)

EXAMPLES = 300


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=damaged_projects())
def test_damaged_project_files_end_with_located_messages(document):
    outcome = run_check(document)
    assert failures(outcome) == []


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_the_undamaged_projects_pass_the_judge(seed):
    """The judge reads clean output (tables, warnings) as it is printed today, or the fuzzing proves nothing."""
    outcome = run_check(json.dumps(SEEDS[seed]).encode())
    assert outcome.status == 0 and failures(outcome) == []


def test_code_in_every_field_is_never_run():
    """Code as the model's name, node ids (wired, so the file loads), a type, a parameter and settings."""
    codes = [code for code in CODE_TEXTS if code.isprintable()]
    document = json.loads(json.dumps(README_PROJECT))
    model = document["models"][0]
    model["name"] = codes[0]
    for node, code in zip(model["nodes"][1:], codes):
        for edge in model["edges"]:
            edge.update({end: code for end in ("src", "dst") if edge[end] == node["id"]})
        node["id"] = code
    model["nodes"][2]["params"] = {codes[1]: codes[2]}
    model["nodes"][3]["type"] = codes[3]
    document["training"] = {"mode": "gan", "generator": codes[4], "loss": codes[5]}
    outcome = run_check(json.dumps(document).encode())
    assert outcome.status == 1 and not outcome.sentinel and outcome.code_runs == []
    assert failures(outcome) == []


def test_the_judge_flags_what_must_never_happen(tmp_path):
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(README_PROJECT))

    def judged(**outcome):
        return failures(Outcome(path, **outcome))

    assert judged(status=1, stdout="something is wrong\n") == [
        "a check problem names no node, model or settings key: 'something is wrong'"]
    assert judged(status=1, stdout="c1: fine\rx: hidden\n")[0].startswith("a printed line holds control")
    assert judged(status=2, stderr=f"{path}: no location\n") == [
        f"a file problem names no JSON location: '{path}: no location'"]
    assert judged(status=2, stderr="other.json: models[0]: wrong file\n")[0].startswith(
        "a stderr line does not start with the file's path")
    assert "an exception escaped main" in judged(crash="Traceback ...")[0]
    assert judged(status=0, sentinel=True) == [f"the sentinel file {SENTINEL} was created: code from the file ran"]
    assert judged(status=2, stderr=f"{path}: line 1, column 2: not valid JSON\n") == []
    assert judged(status=1, stdout="c1: a problem\nNet: another\n") == []
