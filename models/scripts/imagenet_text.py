"""Text tower of the imagenet pack: CLIP BPE ids -> a point in ShuffleNet's classifier space.

The tower reads the full 49,408-id CLIP vocabulary (a narrow 24-wide table keeps the file
small), pools the tokens with 4 learned attention heads and scores the 1000 classes with a
small MLP; the embedding is the
softmax-weighted mixture of the 1000 fixed class targets (rows of `targets`, one per
class, all of norm 1). A prompt naming a class therefore lands on that class's target,
and a broader word ("dog", "tiger") lands on a mixture of the classes it covers, which is
still a direction the image embeddings can be compared with. A free linear output layer
of a small width could not reach 1000 linearly independent targets exactly.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 49408
TOKEN_WIDTH = 24
POOL_HEADS = 4
HIDDEN = 128
CONTEXT = 32


class TextTower(nn.Module):
    """Attention pooling over token embeddings, then an MLP that scores the 1000 classes.

    A transformer over the tokens was tried first, but a 2-core CPU trains this bag of
    weighted tokens in minutes; class names are short, so word order adds little."""

    def __init__(self, targets):
        super().__init__()
        self.token = nn.Embedding(VOCAB, TOKEN_WIDTH)
        # Per head, how much each token counts: template words learn to weigh little.
        self.score = nn.Linear(TOKEN_WIDTH, POOL_HEADS)
        self.ln = nn.LayerNorm(TOKEN_WIDTH * POOL_HEADS)
        self.fc1 = nn.Linear(TOKEN_WIDTH * POOL_HEADS, HIDDEN)
        self.head = nn.Linear(HIDDEN, targets.shape[0])
        # Fixed: the class targets define the embedding space; only the text side learns.
        self.register_buffer("targets", targets.clone())
        nn.init.normal_(self.token.weight, std=0.5)

    def class_logits(self, ids):
        n = ids.shape[1]
        e = self.token(ids)  # [b, n, w]
        # Pool the tokens after the start token up to and including the end token (the
        # largest id, as in CLIP); padding after it is ignored, so no attention mask is needed.
        end = ids.argmax(-1, keepdim=True)
        pos = torch.arange(n, device=ids.device)[None, :]
        outside = (pos < 1) | (pos > end)
        a = self.score(e).masked_fill(outside[:, :, None], float("-inf")).softmax(1)  # [b, n, h]
        pooled = (a.transpose(1, 2) @ e).flatten(1)  # [b, h * w]
        return self.head(F.gelu(self.fc1(self.ln(pooled))))

    def forward(self, ids):
        return self.class_logits(ids).softmax(-1) @ self.targets


def train(model, class_ids, class_targets, word_ids, word_dists, steps, log, seed=0):
    """Soft cross-entropy over the 1000 classes: one-hot for class prompts, a spread over the
    classes a word names for word prompts. Returns the final losses."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    nc, nw = class_ids.shape[0], word_ids.shape[0]
    last = {}
    for step in range(steps):
        ci = torch.randint(nc, (192,), generator=g)
        wi = torch.randint(nw, (64,), generator=g)
        lc = F.cross_entropy(model.class_logits(class_ids[ci]), class_targets[ci])
        lw = -(word_dists[wi] * model.class_logits(word_ids[wi]).log_softmax(-1)).sum(-1).mean()
        loss = lc + 0.5 * lw
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0 or step == steps - 1:
            last = {"step": step, "class_loss": round(lc.item(), 4), "word_loss": round(lw.item(), 4)}
            log(f"text tower {last}")
    return last
