import torch
import torch.nn as nn
import torch.nn.functional as F
import numpy as np

# "makemore part 3": the MLP with a batch norm written by hand (bngain, bnbias, and running
# estimates updated under torch.no_grad()), the loss per split under @torch.no_grad(), the
# statistics calibrated over the whole training set after training; then the same model with
# nn.Embedding / nn.LayerNorm in place of the hand-made normalization, trained with torch.optim.SGD.
# The weights and minibatch indices come from NumPy, so both libraries see the same ones.

torch.set_default_dtype(torch.float64)

words = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth mila
ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey nora
quinn jax kyle brooke wyatt felix hugo dwight""".split()
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
vocab_size = len(stoi)
block_size = 3


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


n1 = int(0.8 * len(words))
n2 = int(0.9 * len(words))
Xtr, Ytr = build_dataset(words[:n1])
Xdev, Ydev = build_dataset(words[n1:n2])
Xte, Yte = build_dataset(words[n2:])

n_embd = 10     # the dimensionality of the character embedding vectors
n_hidden = 64   # the number of neurons in the hidden layer of the MLP
rng = np.random.default_rng(2147483647)

C = torch.tensor(rng.standard_normal((vocab_size, n_embd)))
W1 = torch.tensor(rng.standard_normal((n_embd * block_size, n_hidden))) * (5 / 3) / ((n_embd * block_size)**0.5)
W2 = torch.tensor(rng.standard_normal((n_hidden, vocab_size))) * 0.01
b2 = torch.tensor(rng.standard_normal(vocab_size)) * 0

# BatchNorm parameters
bngain = torch.ones((1, n_hidden))
bnbias = torch.zeros((1, n_hidden))
bnmean_running = torch.zeros((1, n_hidden))
bnstd_running = torch.ones((1, n_hidden))

parameters = [C, W1, W2, b2, bngain, bnbias]
record("parameters", sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True

max_steps = 40
batch_size = 32
lossi = []
for i in range(max_steps):
    # minibatch construct
    ix = torch.tensor(rng.integers(0, Xtr.shape[0], size=batch_size))
    Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

    # forward pass
    emb = C[Xb]  # embed the characters into vectors
    embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
    # Linear layer
    hpreact = embcat @ W1  # hidden layer pre-activation
    # BatchNorm layer
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    with torch.no_grad():
        bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
    # Non-linearity
    h = torch.tanh(hpreact)  # hidden layer
    logits = h @ W2 + b2  # output layer
    loss = F.cross_entropy(logits, Yb)  # loss function

    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()

    # update
    lr = 0.1 if i < 30 else 0.01  # step learning rate decay
    for p in parameters:
        p.data += -lr * p.grad

    # track stats
    if i % 10 == 0:  # print every once in a while
        print(f'{i:7d}/{max_steps:7d}: {loss.item():.4f}')
    lossi.append(loss.log10().item())
record("lossi", lossi)
record("bngain", bngain)
record("bnbias.grad", bnbias.grad)
record("bnmean_running", bnmean_running)
record("bnstd_running", bnstd_running)
record("running estimates are outside the graph", [bnmean_running.requires_grad, bnstd_running.requires_grad])
record("h saturation", (h.abs() > 0.99).double().mean().item())

# calibrate the batch norm at the end of training
with torch.no_grad():
    # pass the training set through
    emb = C[Xtr]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1
    # measure the mean/std over the entire training set
    bnmean = hpreact.mean(0, keepdim=True)
    bnstd = hpreact.std(0, keepdim=True)
record("bnmean", bnmean)
record("bnstd", bnstd)


@torch.no_grad()  # this decorator disables gradient tracking
def split_loss(split):
    x, y = {
        'train': (Xtr, Ytr),
        'val': (Xdev, Ydev),
        'test': (Xte, Yte),
    }[split]
    emb = C[x]  # (N, block_size, n_embd)
    embcat = emb.view(emb.shape[0], -1)  # concat into (N, block_size * n_embd)
    hpreact = embcat @ W1  # (N, n_hidden)
    hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
    h = torch.tanh(hpreact)  # (N, n_hidden)
    logits = h @ W2 + b2  # (N, vocab_size)
    loss = F.cross_entropy(logits, y)
    print(split, f'{loss.item():.4f}')
    return loss


for split in ['train', 'val', 'test']:
    loss = split_loss(split)
    record(f"{split} loss", loss.item())
    record(f"{split} loss requires grad", loss.requires_grad)


# --- the same MLP with nn.Embedding, nn.Linear, nn.LayerNorm ------------------------------------
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, n_embd)
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_embd * block_size, n_hidden, bias=False),
            nn.LayerNorm(n_hidden),
            nn.Tanh(),
            nn.Linear(n_hidden, vocab_size),
        )

    def forward(self, idx):
        return self.net(self.emb(idx))


model = MLP()
with torch.no_grad():
    model.emb.weight.copy_(C)
    model.net[1].weight.copy_(W1.T)
    model.net[4].weight.copy_(torch.tensor(rng.standard_normal((vocab_size, n_hidden))) * 0.1)
    model.net[4].bias.zero_()
record("MLP state_dict keys", list(model.state_dict().keys()))
record("LayerNorm starts at ones and zeros", [model.net[2].weight.sum().item(), model.net[2].bias.sum().item()])

optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
losses = []
for i in range(30):
    ix = torch.tensor(rng.integers(0, Xtr.shape[0], size=batch_size))
    logits = model(Xtr[ix])
    loss = F.cross_entropy(logits, Ytr[ix])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
record("LayerNorm MLP losses", losses)
record("LayerNorm weight", model.net[2].weight)
record("LayerNorm bias.grad", model.net[2].bias.grad)
record("embedding row 0", model.emb.weight[0])

# what nn.LayerNorm computes, by hand: each row normalized by its own mean and biased variance
with torch.no_grad():
    hpre = model.net[1](model.net[0](model.emb(Xdev)))
    ln = model.net[2]
    by_hand = (hpre - hpre.mean(-1, keepdim=True)) / torch.sqrt(hpre.var(-1, keepdim=True, unbiased=False) + ln.eps)
    by_hand = by_hand * ln.weight + ln.bias
    record("LayerNorm by hand", torch.allclose(ln(hpre), by_hand))
    record("F.layer_norm", F.layer_norm(hpre, (n_hidden,), ln.weight, ln.bias)[:3])
    record("LayerNorm MLP dev loss", F.cross_entropy(model(Xdev), Ydev).item())
