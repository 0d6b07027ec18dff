"""Importing existing PyTorch code: a user's nn.Module, traced with torch.fx, becomes a project of blocks and
modules whose generated code has the original's state_dict keys and outputs."""
