"""The differentiable ops, one file per concept: its Functions and the Tensor methods that call them.

Read in this order (each file builds on the ones before it):

    elementwise.py   + - * / **, e^x, log, σ, ReLU, ...      Mul: dx = g·y,  dy = g·x
    movement.py      reshape, permute, expand, cat, indexing  (entries moved, g moved back)
    linalg.py        A @ B and einsum                         MatMul: dA = G Bᵀ,  dB = Aᵀ G
    reductions.py    sum, max, logsumexp, softmax             Sum: dx = g copied to each entry
    inplace.py       x += y, x[i] = v, and views changed in place
    fused.py         layers and losses as one op each         Addmm (F.linear): dW = dZᵀ X
"""

__all__: list[str] = []   # a package of modules: import from them by name
