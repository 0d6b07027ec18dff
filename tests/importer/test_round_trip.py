"""export --code → import → export --code gives the same code, for every model of every template."""

import pytest

from builder.blocks.check import check_model
from builder.compile import generate_code
from builder.core.templates import TEMPLATES, load_template
from builder.importer.network import import_network

MODELS = [(t.name, m.name) for t in TEMPLATES for m in load_template(t.name).models]


@pytest.mark.parametrize(("template", "model"), MODELS, ids=[f"{t}-{m}" for t, m in MODELS])
def test_the_code_of_an_imported_template_is_the_code_it_was_imported_from(template, model, tmp_path):
    project = load_template(template)
    report = check_model(project.model(model), project)
    code = generate_code(project, [model])
    source = tmp_path / "model.py"
    source.write_text(code.source)
    shapes = [list(report.infos[i].shape) for i in report.inputs]
    imported = import_network(source, code.class_names[model], shapes)
    again = generate_code(imported.project, [imported.project.models[0].name])
    assert again.source == code.source
