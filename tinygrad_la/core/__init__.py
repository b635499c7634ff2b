"""The core: what every op and both engines (Tensor, Value) stand on. It imports nothing above it.

Read it in this order:

    collector.py    Python's cycle collector kept off a growing graph (it has no cycles to find)
    engine.py       the backward walk (topological order, then the chain rule node by node) and grad mode
    tracer.py       the events tinygrad_la.compile listens to while it records a step
    version.py      version checks, which catch a backward that would read memory changed in place
    random.py       the library's one random generator
    dtypes.py       dtypes by PyTorch's names, and the default float dtype
    device.py       the one device, the CPU
    float_errors.py floating point errors ignored for a block (an optimizer step), cheaply
    tensor_base.py  what a tensor is to the engine: data, grad, backward(), hooks
    function.py     Function (a node: forward, backward, ctx), Op (a built-in one), unbroadcast
"""

__all__: list[str] = []   # a package of modules: import from them by name
