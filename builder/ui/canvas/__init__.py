"""The node canvas: a QGraphicsScene that follows the document, and the view that edits through commands."""
