import torch
import torch.nn.functional as F
import numpy as np
import random

# The MLP language model of "makemore part 2" (Bengio et al. 2003): a 2-d embedding of each
# character, three characters of context, a tanh hidden layer, cross-entropy; minibatch SGD with
# a learning rate that decays, and train/dev losses under torch.no_grad(). Where the lecture draws
# from torch.randn/torch.randint with a Generator, this draws from NumPy, so that both libraries
# get the same weights and the same minibatches.

torch.set_default_dtype(torch.float64)

words = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth mila
ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey nora
quinn jax kyle brooke wyatt felix hugo dwight""".split()

chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}

block_size = 3  # context length: how many characters do we take to predict the next one?


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y


random.seed(42)
random.shuffle(words)
n1 = int(0.8 * len(words))
n2 = int(0.9 * len(words))
Xtr, Ytr = build_dataset(words[:n1])
Xdev, Ydev = build_dataset(words[n1:n2])
Xte, Yte = build_dataset(words[n2:])
record("shapes", [list(Xtr.shape), list(Ytr.shape), list(Xdev.shape), list(Xte.shape)])
record("Xtr", Xtr)
record("Xtr dtype is int64", Xtr.dtype == torch.int64)

rng = np.random.default_rng(2147483647)
C = torch.tensor(rng.standard_normal((27, 2)))
W1 = torch.tensor(rng.standard_normal((6, 100)))
b1 = torch.tensor(rng.standard_normal(100))
W2 = torch.tensor(rng.standard_normal((100, 27)))
b2 = torch.tensor(rng.standard_normal(27))
parameters = [C, W1, b1, W2, b2]
record("number of parameters", sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True

# the lecture's learning-rate sweep: exponents spaced evenly, rates spaced evenly in log
lre = torch.linspace(-3, 0, 1000)
lrs = 10**lre
record("lrs[::111]", lrs[::111])

emb = C[Xtr]
record("emb shape", list(emb.shape))
record("emb[:2]", emb[:2])
record("C[5] == one_hot(5) @ C", torch.allclose(C[5], F.one_hot(torch.tensor(5), num_classes=27).double() @ C))

lri = []
lossi = []
stepi = []
for i in range(60):
    # minibatch construct
    ix = torch.tensor(rng.integers(0, Xtr.shape[0], size=32))

    # forward pass
    emb = C[Xtr[ix]]  # (32, 3, 2)
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)  # (32, 100)
    logits = h @ W2 + b2  # (32, 27)
    loss = F.cross_entropy(logits, Ytr[ix])

    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()

    # update
    lr = lrs[600 + i] if i < 20 else (0.1 if i < 40 else 0.01)
    for p in parameters:
        p.data += -lr * p.grad

    # track stats
    lri.append(lre[600 + i].item() if i < 20 else None)
    stepi.append(i)
    lossi.append(loss.log10().item())
record("lossi", lossi)
record("lri", lri)
record("C.grad", C.grad)

# the lecture's check that cross_entropy is the softmax and negative log likelihood by hand
counts = logits.exp()
prob = counts / counts.sum(1, keepdims=True)
record("manual loss", -prob[torch.arange(32), Ytr[ix]].log().mean())
record("F.cross_entropy", F.cross_entropy(logits, Ytr[ix]))

with torch.no_grad():
    emb = C[Xtr]
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)
    logits = h @ W2 + b2
    train_loss = F.cross_entropy(logits, Ytr)
    emb = C[Xdev]
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)
    logits = h @ W2 + b2
    dev_loss = F.cross_entropy(logits, Ydev)
print(f"train {train_loss.item():.4f}  dev {dev_loss.item():.4f}")
record("train loss", train_loss.item())
record("dev loss", dev_loss.item())
record("no graph under no_grad", dev_loss.requires_grad)
record("embedding", C)

# sample from the model
g = torch.Generator().manual_seed(2147483647 + 10)
names = []
first_probs = None
for _ in range(5):
    out = []
    context = [0] * block_size  # initialize with all ...
    while True:
        emb = C[torch.tensor([context])]  # (1, block_size, d)
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        logits = h @ W2 + b2
        probs = F.softmax(logits, dim=1)
        if first_probs is None:
            first_probs = probs
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(ix)
        if ix == 0:
            break
    names.append(''.join(itos[i] for i in out))
record_draw("names", names)
record("first character's distribution", first_probs)
record("names end with '.'", all(name.endswith('.') for name in names))
