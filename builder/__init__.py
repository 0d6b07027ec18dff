"""NN Builder: build PyTorch networks as graphs of blocks, check them, compile them to code, train them."""

__version__ = "0.1.0"
