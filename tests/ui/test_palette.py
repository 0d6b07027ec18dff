"""The palette lists every registered block by category, filters by search, and drags the block's type."""

from builder.blocks.registry import BLOCKS
from builder.ui.canvas.view import BLOCK_MIME
from builder.ui.palette import TYPE_ROLE


def test_every_block_is_in_the_palette_under_its_category(window):
    palette = window.palette
    assert set(palette.items) == set(BLOCKS.names())
    for type_name, item in palette.items.items():
        assert item.parent().text(0) == BLOCKS[type_name].category.upper()
        assert not item.icon(0).isNull()


def test_search_filters_by_name_and_description(window):
    palette = window.palette
    palette.search.setText("conv")
    assert set(palette.visible_blocks()) >= {"Conv2d", "ConvTranspose2d", "DepthwiseConv2d", "GroupConv2d"}
    assert "ReLU" not in palette.visible_blocks()
    palette.search.setText("skip")  # in Add's and Concat's descriptions
    assert set(palette.visible_blocks()) == {"Add", "Concat"}
    palette.search.setText("")
    assert len(palette.visible_blocks()) == len(BLOCKS)


def test_dragging_carries_the_block_type_and_activation_adds_it(window):
    item = window.palette.items["GELU"]
    mime = window.palette.tree.mimeData([item])
    assert bytes(mime.data(BLOCK_MIME)).decode() == "GELU" and item.data(0, TYPE_ROLE) == "GELU"
    window.palette.tree.itemActivated.emit(item, 0)
    assert window.document.model("ShapesNet").nodes[-1].type == "GELU"


def test_code_view_follows_the_graph_and_copies(qtbot, window):
    from PySide6.QtWidgets import QApplication

    code = window.code
    code.update_code()
    assert "class ShapesNet(nn.Module):" in code.text.toPlainText()
    window.editor.set_param("conv1", "out_channels", 12)
    qtbot.waitUntil(lambda: "nn.Conv2d(1, 12" in code.text.toPlainText(), timeout=2000)
    assert code.text.isReadOnly()
    code.copy_button.click()
    assert QApplication.clipboard().text() == code.text.toPlainText()
    window.editor.set_param("fc", "in_features", 5)
    qtbot.waitUntil(lambda: "problem" in code.status.text(), timeout=2000)
    assert "fc: expects 5 input features" in code.text.toPlainText()
