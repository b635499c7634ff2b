import torch
import numpy as np

# "Learn the Basics: Tensors": making tensors from data and from NumPy, their attributes, indexing
# and slicing, joining, arithmetic, single-element tensors, in-place operations, and the memory a
# tensor shares with a NumPy array. Random tensors in the tutorial are replaced by fixed ones.

torch.set_default_dtype(torch.float64)

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
print(x_data)
record("x_data", x_data)

np_array = np.array(data)
x_np = torch.from_numpy(np_array)
record("x_np", x_np)

x_ones = torch.ones_like(x_data)  # retains the properties of x_data
print(f"Ones Tensor: \n {x_ones} \n")
record("x_ones", x_ones)

x_rand = torch.rand_like(x_data, dtype=torch.float)  # overrides the datatype of x_data
record("rand_like shape and dtype", [list(x_rand.shape), x_rand.dtype == torch.float32])
record("rand_like in [0, 1)", bool(((x_rand >= 0) & (x_rand < 1)).all()))

shape = (2, 3,)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")
record("ones, zeros", [ones_tensor, zeros_tensor])

tensor = torch.arange(12.0).reshape(3, 4) / 4
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor is float64: {tensor.dtype == torch.float64}")
print(f"Device tensor is stored on: {tensor.device}")
record("shape", list(tensor.shape))

if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())

tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)
record("tensor[:, 1] = 0", tensor)

t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)
record("cat", t1)
record("stack shape", list(torch.stack([tensor, tensor]).shape))

tensor = torch.arange(16.0).reshape(4, 4) - 5
# This computes the matrix multiplication between two tensors. y1, y2, y3 will have the same value
# ``tensor.T`` returns the transpose of a tensor
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.ones_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
record("y1", y1)
record("y1 == y2 == y3", [torch.equal(y1, y2), torch.equal(y1, y3)])

# This computes the element-wise product. z1, z2, z3 will have the same value
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.zeros_like(tensor)
torch.mul(tensor, tensor, out=z3)
record("z1", z1)
record("z1 == z2 == z3", [torch.equal(z1, z2), torch.equal(z1, z3)])

agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
record("agg_item", agg_item)

print(f"{tensor} \n")
tensor.add_(5)
print(tensor)
record("add_", tensor)

t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")
record("n follows t", n.tolist())

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
record("t follows n", t)
