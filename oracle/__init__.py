"""An independent PyTorch (and RDKit) oracle for the course's exercise references.

The TensorFlow.js references in reference/src/exercises/ compute what a submission must return.
This package computes the same numbers a second time, with PyTorch ops written the way the
chapter's own PyTorch code writes them (torch.matmul / F.softmax / masked_fill, nn.Linear,
nn.MultiheadAttention, nn.LayerNorm, nn.Embedding, nn.TransformerEncoderLayer, autograd), from
the inputs that oracle/export.ts exports from the exercises' seeded case generators. RDKit reads
every SMILES of the SMILES exercise and decides the elements of the formula exercise. Standard
library + torch + rdkit only.

    /usr/bin/python3 -m oracle --help
"""

ORACLE_VERSION = "1.0.0"
