from builder.compile.names import Namer, sanitize


def test_sanitize_makes_identifiers():
    assert sanitize("conv 1") == "conv_1"
    assert sanitize("1st") == "_1st"
    assert sanitize("ünïcode→x") == "n_code_x"
    assert sanitize("!!!") == "node"


def test_namer_refuses_keywords_builtins_and_module_members_and_deduplicates():
    namer = Namer()
    assert namer.name("lambda") == "lambda_1"
    assert namer.name("print") == "print_1"
    assert namer.name("parameters") == "parameters_1"
    assert namer.name("a-b") == "a_b"
    assert namer.name("a b") == "a_b_1"
