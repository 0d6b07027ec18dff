"""The command line in Chinese (`--lang zh_CN`, or LANGUAGE=zh_CN as a user's shell sets it) and in English by
default: problems still name their node exactly, tables stay aligned, and English has no Chinese in it."""

import contextlib
import os
import re
import subprocess
import sys

import nets
from graphs import chain, project

from builder.blocks.registry import BLOCKS
from builder.cli import main
from builder.cli.blocks_cmd import reference_markdown
from builder.cli.common import display_width, wrap
from builder.core.i18n import set_language, tr
from builder.core.project import save_project

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def write(tmp_path, *models, name="net.json"):
    path = tmp_path / name
    save_project(project(*models), path)
    return str(path)


def too_small_for_its_pool(tmp_path):
    """A wiring/shape problem on one node: a 3×3 pool over a 2×2 image."""
    return write(tmp_path, chain("Net", [1, 2, 2], [("pool", "MaxPool2d", {"kernel_size": 3})]), name="bad.json")


def chinese(text):
    set_language("zh_CN")
    try:
        return tr(text)
    finally:
        set_language("en")


def test_check_names_the_node_of_a_problem_in_chinese(tmp_path, capsys):
    assert main(["--lang", "zh_CN", "check", too_small_for_its_pool(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert re.match(r"pool[:：]", lines[0]), lines[0]  # the node id exactly, as written
    assert CJK.search(lines[0]), lines[0]


def test_languages_environment_variable_chooses_chinese_as_a_user_would(tmp_path):
    bad = too_small_for_its_pool(tmp_path)
    environment = {**os.environ, "LANGUAGE": "zh_CN"}
    result = subprocess.run([sys.executable, "-m", "builder", "check", bad], capture_output=True, text=True,
                            env=environment, encoding="utf-8")
    assert result.returncode == 1
    assert re.match(r"pool[:：]", result.stdout) and CJK.search(result.stdout), result.stdout
    # argparse's own words come from the catalog too.
    result = subprocess.run([sys.executable, "-m", "builder", "check"], capture_output=True, text=True,
                            env=environment, encoding="utf-8")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "PROJECT" in result.stderr and CJK.search(result.stderr), result.stderr


def test_check_table_in_chinese_is_aligned_by_display_width(tmp_path, capsys):
    assert main(["--lang", "zh_CN", "check", write(tmp_path, nets.lenet())]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0] == chinese("model {name}").format(name="LeNet")
    table = lines[1:]
    assert table[0].split()[:2] == [chinese("node"), chinese("type")] and CJK.search(table[0])
    # The last column (MACs) is right-aligned: every line ends in the same column, Chinese heading included.
    assert len({display_width(line) for line in table}) == 1, "\n".join(table)
    conv1 = next(line for line in table if line.startswith("conv1"))
    assert conv1.split() == ["conv1", "Conv2d", "6×28×28", "156", "117,600"]


def test_blocks_reference_in_chinese(capsys):
    assert main(["--lang", "zh_CN", "blocks"]) == 0
    out = capsys.readouterr().out
    conv = BLOCKS["Conv2d"]
    description = chinese(conv.description)
    # The blocks' catalog (builder/locale/zh_CN/blocks.po) translates the descriptions; types stay.
    assert description != conv.description and CJK.search(description)
    assert f"  Conv2d: {description}\n" in out
    assert chinese(conv.category) in out.splitlines()
    assert "in_channels = " in out  # parameter names are PyTorch's


def test_markdown_reference_stays_english_in_chinese(capsys):
    assert main(["--lang", "zh_CN", "blocks", "--markdown"]) == 0
    out = capsys.readouterr().out
    set_language("en")
    assert out == reference_markdown() and not CJK.search(out)


def test_help_in_chinese_is_wrapped_to_the_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for argv in (["--help"], ["check", "--help"], ["train", "--help"]):
        try:
            main(["--lang", "zh_CN", *argv])
        except SystemExit as exc:
            assert exc.code == 0
        out = capsys.readouterr().out
        assert out.startswith(chinese("usage: ")) and CJK.search(out)
        assert chinese("show this help message and exit") in out
        wide = [line for line in out.splitlines() if display_width(line) > 80]
        assert not wide, wide


def test_wrap_breaks_between_chinese_characters_and_keeps_latin_words():
    lines = wrap("把权重加载到项目的模型中，并对每个文件进行分类：weights_only=True 读取", 20)
    assert all(display_width(line) <= 20 for line in lines)
    assert "weights_only=True" in " ".join(lines) and not any(line[0] in "，。：" for line in lines)


def test_english_by_default_has_no_chinese(tmp_path, capsys):
    bad = too_small_for_its_pool(tmp_path)
    assert main(["check", bad]) == 1
    assert main(["check", write(tmp_path, nets.lenet()), "--batch-size", "4"]) == 0
    assert main(["blocks"]) == 0
    assert main(["templates"]) == 0
    assert main(["check"]) == 2
    for argv in (["--help"], ["check", "--help"]):
        with contextlib.suppress(SystemExit):
            main(argv)
    captured = capsys.readouterr()
    assert captured.out.startswith("pool: ")
    assert "model LeNet" in captured.out and "usage: " in captured.out
    assert not CJK.search(captured.out + captured.err)
