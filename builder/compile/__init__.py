"""From a checked graph to Python source, and from that same source to the nn.Module that trains."""

from builder.compile.build import build_classes, build_model
from builder.compile.codegen import CompileError, GeneratedCode, generate_code

__all__ = ["CompileError", "GeneratedCode", "build_classes", "build_model", "generate_code"]
