"""Modules in the window, through its keys, mouse and palette: Group into Module and Ungroup as one undo step each,
double-click into a use and Esc out of it, the breadcrumb, a definition's edit shown on every use, the Models list."""

from PySide6.QtCore import QPoint, Qt
from ui_actions import view_point

from builder.core.project import load_project, save_project
from builder.core.templates import EXAMPLE, load_template


def saved_window(make_window, tmp_path, name=EXAMPLE):
    path = tmp_path / f"{name}.json"
    save_project(load_template(name), path)
    window = make_window(load_project(path))
    return window, path, path.read_bytes()


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    if not window.isActiveWindow():  # a shortcut reaches the active window only
        with qtbot.waitActive(window):
            window.activateWindow()
    window.view.setFocus()
    qtbot.keyClick(window.view, key, modifiers)


def double_click(qtbot, window, node_id):
    item = window.scene.nodes[node_id]
    at = view_point(window, item.sceneBoundingRect().center())
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=at)


def test_ctrl_g_groups_the_selection_and_one_undo_gives_back_the_saved_file(qtbot, make_window, tmp_path):
    window, path, saved = saved_window(make_window, tmp_path)
    window.dialogs.answers["text"] = "Features"
    window.scene.select_nodes(["conv1", "relu1", "pool1"])
    press(qtbot, window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    project = window.document.project
    assert [m.name for m in project.models] == ["ShapesNet", "Features"]
    [use] = window.scene.selected_node_ids()
    assert window.document.model("ShapesNet").node(use).type == "Features"
    assert window.scene.nodes[use].module.name == "Features"
    assert window.session.report.problems == []
    assert window.scene.nodes[use].info.shape == (8, 14, 14)  # what pool1 made, now the use's output
    assert window.scene.nodes[use].info.params == 80  # conv1's weights, rolled up
    window.act_undo.trigger()
    window.save()
    assert path.read_bytes() == saved


def test_ctrl_shift_g_ungroups_a_use_back_inline_in_one_step(qtbot, make_window, tmp_path):
    window, _path, _saved = saved_window(make_window, tmp_path, "conv_autoencoder")
    grouped = window.document.to_json()
    window.scene.select_nodes(["encoder"])
    press(qtbot, window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    top = window.document.model("ConvAutoencoder")
    assert "encoder" not in top.node_ids() and all(n.type != "Encoder" for n in top.nodes)
    assert len(window.scene.selected_node_ids()) > 1  # the blocks put back, selected
    assert window.session.report.problems == []
    window.act_undo.trigger()
    assert window.document.to_json() == grouped


def test_double_click_enters_a_use_the_breadcrumb_names_it_and_esc_comes_back(qtbot, make_window, tmp_path):
    window, _path, _saved = saved_window(make_window, tmp_path, "resnet18")
    assert window.modules.breadcrumb.isHidden()
    double_click(qtbot, window, "layer2.0")
    assert window.session.model == "DownBlock"
    assert not window.modules.breadcrumb.isHidden()
    assert [b.text() for b in window.modules.breadcrumb.parts] == ["ResNet18", "DownBlock (layer2.0)"]
    assert "conv1" in window.scene.nodes and "layer1.0" not in window.scene.nodes
    # Shapes as that use sees them: 16 channels in, stride 2 halves 32x32.
    assert window.scene.nodes["conv1"].info.shape == (32, 16, 16)
    press(qtbot, window, Qt.Key.Key_Escape)
    assert window.session.model == "ResNet18" and window.modules.breadcrumb.isHidden()
    assert window.scene.selected_node_ids() == ["layer2.0"]


def test_the_breadcrumb_goes_back_to_the_level_clicked(qtbot, make_window, tmp_path):
    window, _path, _saved = saved_window(make_window, tmp_path, "unet_small")
    double_click(qtbot, window, "down1")
    inner = next(n.id for n in window.document.model("Down").nodes if n.type == "DoubleConv")
    double_click(qtbot, window, inner)
    assert [b.text() for b in window.modules.breadcrumb.parts] == ["SmallUNet", "Down (down1)",
                                                                   f"DoubleConv ({inner})"]
    window.modules.breadcrumb.parts[0].click()
    assert window.session.model == "SmallUNet" and window.session.trail == []


def test_an_edit_inside_a_definition_shows_on_every_use_and_undoes_there_too(qtbot, make_window, tmp_path):
    window, _path, _saved = saved_window(make_window, tmp_path, "unet_small")
    before = {use: window.session.report.infos[use].params for use in ("down1", "down2")}
    double_click(qtbot, window, "inc")
    conv = next(n.id for n in window.document.model("DoubleConv").nodes if n.type == "Conv2d")
    window.scene.select_nodes([conv])
    window.editor.set_param(conv, "kernel_size", 5)
    press(qtbot, window, Qt.Key.Key_Escape)
    after = {use: window.session.report.infos[use].params for use in ("down1", "down2")}
    assert all(after[use] > before[use] for use in before)  # both Downs use DoubleConv: both grew
    assert window.scene.nodes["down1"].info.params == after["down1"]
    window.act_undo.trigger()
    assert {use: window.session.report.infos[use].params for use in before} == before


def test_the_models_list_offers_the_project_s_modules_and_adds_a_use(qtbot, make_window, tmp_path):
    window, _path, _saved = saved_window(make_window, tmp_path, "resnet18")
    assert sorted(window.palette.model_items) == ["BasicBlock", "DownBlock"]
    item = window.palette.model_items["BasicBlock"]
    window.palette.tree.itemActivated.emit(item, 0)
    added = window.scene.selected_node_ids()
    assert len(added) == 1 and window.document.model("ResNet18").node(added[0]).type == "BasicBlock"
    # Inside BasicBlock neither it nor ResNet18 (which holds it) can be used: that would contain itself.
    window.act_undo.trigger()
    double_click(qtbot, window, "layer1.0")
    assert sorted(window.palette.model_items) == ["DownBlock"]


def test_a_use_is_drawn_with_its_module_s_params_and_a_tooltip_that_says_how_to_open_it(make_window, tmp_path):
    window, _path, _saved = saved_window(make_window, tmp_path, "resnet18")
    item = window.scene.nodes["layer2.0"]
    assert item.module.name == "DownBlock"
    assert "stride 2" in " ".join(item.summary_lines)
    assert "double-click to open its definition" in item.toolTip()
    assert window.scene.nodes["conv1"].module is None
    assert view_point(window, item.sceneBoundingRect().center()) != QPoint(0, 0)


def test_the_scene_deleted_with_a_use_selected_goes_quietly(qtbot, make_window, tmp_path):
    """As at the end of a script that never closes its window: Python deletes the scene first, which empties
    itself, and the selection change that makes must not reach the Group/Ungroup actions' update (seen as a
    traceback after every screenshot)."""
    import shiboken6

    window, _path, _saved = saved_window(make_window, tmp_path, "resnet18")
    qtbot.wait(20)  # what the window defers until shown (its first frame) has run
    window.scene.select_nodes(["layer2.0"])
    with qtbot.captureExceptions() as raised:
        shiboken6.delete(window.scene)
    assert raised == []
