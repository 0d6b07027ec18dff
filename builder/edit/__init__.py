"""The edit layer: what a user can do to a project, with no Qt in it.

`Session` holds the open document, the model shown and its latest check; `Editor` turns each user
action into one undoable command, or refuses it with the reason; `recovery` autosaves and finds
the work a crashed session left. The window's widgets call these, and so do the tests, headless.
"""
