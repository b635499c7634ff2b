import torch
import torch.nn.functional as F
import numpy as np

# The bigram character model of the lecture "building makemore", on a fixed list of names: first by
# counting, then as a one-layer network trained by gradient descent; then names sampled from each.
# The counting part keeps the lecture's .float() (float32, compared at float32's precision); the
# network runs in float64, its starting W drawn by NumPy so both libraries start from one point.

torch.set_default_dtype(torch.float64)

words = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth mila
ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey nora
quinn jax kyle brooke wyatt felix hugo dwight""".split()

chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
record("vocabulary", len(itos))

# --- counting ---------------------------------------------------------------------------------
N = torch.zeros((27, 27), dtype=torch.int32)
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        N[ix1, ix2] += 1
record("N", N)
record("N[0] (first letters)", N[0])

p = N[0].float()
p = p / p.sum()
record("p", p)

P = (N + 1).float()
P /= P.sum(1, keepdims=True)
record("P", P)
record("P rows sum to one", P.sum(1))


def sample(next_distribution, seed, count=5):
    g = torch.Generator().manual_seed(seed)
    names = []
    for i in range(count):
        out = []
        ix = 0
        while True:
            p = next_distribution(ix)
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        names.append(''.join(out))
    return names


names = sample(lambda ix: P[ix], 2147483647)
record_draw("names from the counts", names)
record("sampled names end with '.'", all(name.endswith('.') for name in names))
record("sampled names use the vocabulary", all(set(name) <= set(stoi) for name in names))
record("same seed, same names", sample(lambda ix: P[ix], 2147483647) == names)

log_likelihood = 0.0
n = 0
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        prob = P[ix1, ix2]
        logprob = torch.log(prob)
        log_likelihood += logprob
        n += 1
nll = -log_likelihood
record("log_likelihood", log_likelihood)
record("nll/n", nll / n)
record("n", n)
print(f'{nll/n:.4f}')

# --- the neural network -------------------------------------------------------------------------
xs, ys = [], []
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        xs.append(ix1)
        ys.append(ix2)
xs = torch.tensor(xs)
ys = torch.tensor(ys)
num = xs.nelement()
record("xs", xs)
record("num", num)

rng = np.random.default_rng(2147483647)
W = torch.tensor(rng.standard_normal((27, 27)), requires_grad=True)

xenc = F.one_hot(xs, num_classes=27).double()
record("xenc dtype is float64", xenc.dtype == torch.float64)
record("xenc row sums", xenc.sum(1))

losses = []
for k in range(30):
    # forward pass
    xenc = F.one_hot(xs, num_classes=27).double()   # input to the network: one-hot encoding
    logits = xenc @ W                               # predict log-counts
    counts = logits.exp()                           # counts, equivalent to N
    probs = counts / counts.sum(1, keepdims=True)   # probabilities for next character
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
    losses.append(loss.item())
    if k % 10 == 0:
        print(f"{k:3d} {loss.item():.6f}")
    # backward pass
    W.grad = None   # set to zero the gradient
    loss.backward()
    # update
    W.data += -50 * W.grad
record("losses", losses)
record("W", W)
record("W.grad[:3]", W.grad[:3])

with torch.no_grad():
    table = F.one_hot(torch.arange(27), num_classes=27).double() @ W
    probs = table.exp() / table.exp().sum(1, keepdims=True)
record("network's next-character distributions", probs)
record("agrees with softmax", torch.allclose(probs, F.softmax(table, dim=1)))


def network_distribution(ix):
    xenc = F.one_hot(torch.tensor([ix]), num_classes=27).double()
    logits = xenc @ W
    counts = logits.exp()
    p = counts / counts.sum(1, keepdims=True)
    return p[0]


names = sample(network_distribution, 2147483647)
record_draw("names from the network", names)
record("network names end with '.'", all(name.endswith('.') for name in names))
record("network: same seed, same names", sample(network_distribution, 2147483647) == names)
