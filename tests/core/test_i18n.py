import pytest

from builder.core import i18n
from builder.core.i18n import CHINESE, ENGLISH, language_from_environment, normalized, set_language, tr, trn


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, CHINESE),
    ({"LANGUAGE": "zh_CN:en_US", "LANG": "en_US.UTF-8"}, CHINESE),  # LANGUAGE first, as gettext reads it
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, ENGLISH),
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, CHINESE),
    ({"LANG": "C.UTF-8"}, ENGLISH),
    ({"LANG": "fr_FR.UTF-8"}, ENGLISH),  # a language without a catalog: English
    ({}, ENGLISH),
])
def test_the_language_follows_the_locale_as_gettext_reads_it(environ, expected):
    assert language_from_environment(environ) == expected


@pytest.mark.parametrize("code", ["zh_CN", "zh-CN", "zh_CN.UTF-8", "zh", "zh_Hans"])
def test_simplified_chinese_by_any_of_its_names(code):
    assert normalized(code) == CHINESE and normalized("zh_TW") == ENGLISH


def test_english_fills_in_values_and_chinese_reads_the_catalog():
    message = "builder: expected one project file to open, got {count} arguments (see builder --help)"
    assert tr(message, count=3) == message.format(count=3)
    assert set_language("zh_CN") == CHINESE
    assert tr(message, count=3).startswith("builder：只能打开一个项目文件") and "3" in tr(message, count=3)
    assert tr("a message no catalog has") == "a message no catalog has"  # untranslated reads as written
    assert trn("{count} file", "{count} files", 2, count=2) == "2 files"
    set_language("en")
    assert trn("{count} file", "{count} files", 1, count=1) == "1 file"


def test_literal_braces_stay_when_no_values_are_given():
    assert tr("a dict {like this}") == "a dict {like this}"


def test_a_catalog_that_is_not_a_po_file_is_named(tmp_path):
    (tmp_path / "broken.po").write_text("these are not catalog lines\n", encoding="utf-8")
    with pytest.raises(i18n.CatalogError, match="broken.po"):
        i18n.read_catalogs(tmp_path)


def test_fuzzy_entries_are_not_used_until_reviewed(tmp_path):
    (tmp_path / "a.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                   '#, fuzzy\nmsgid "Save"\nmsgstr "保存"\n\nmsgid "Open"\nmsgstr "打开"\n',
                                   encoding="utf-8")
    catalog = i18n.read_catalogs(tmp_path)
    assert catalog.gettext("Save") == "Save" and catalog.gettext("Open") == "打开"
