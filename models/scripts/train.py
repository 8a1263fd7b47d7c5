"""Training loops: the classifier CNN (cross-entropy) and the two CLIP towers (contrastive)."""

import random
import time

import torch
import torch.nn.functional as F

import prompts
import towers


def seed_all(seed):
    import numpy as np
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def normalize_images(images_u8, mean, std):
    """uint8 [N,28,28] -> float32 [N,3,28,28]: pixel/255, (x - mean) / std, grey replicated to RGB."""
    x = torch.from_numpy(images_u8.copy()).float().mul_(1.0 / 255.0)
    x = (x - mean) / std
    return x[:, None].expand(-1, 3, -1, -1).contiguous()


def _batches(n, batch_size, epochs, gen):
    """Yield (step, total, index tensor) for `epochs` (may be fractional) of shuffled batches."""
    per_epoch = n // batch_size
    total = max(1, int(round(epochs * per_epoch)))
    step = 0
    while step < total:
        perm = torch.randperm(n, generator=gen)
        for i in range(per_epoch):
            if step >= total:
                return
            yield step, total, perm[i * batch_size:(i + 1) * batch_size]
            step += 1


def _flip(x, gen):
    """Random horizontal flip per image."""
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def _shift(x, gen, background, pad=2):
    """Random translation per image by up to `pad` pixels each way, filling with the background."""
    b, c, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad), value=background)
    oy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (oy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (ox[:, None] + torch.arange(w))[:, None, None, :]
    return xp[torch.arange(b)[:, None, None, None], torch.arange(c)[None, :, None, None], rows, cols]


def _log_progress(log, name, step, total, loss, t0):
    if log and (step % 100 == 0 or step == total - 1):
        log(f"{name} step {step + 1}/{total} loss {loss:.4f} {time.time() - t0:.0f}s")


def _one_cycle(model, examples, epochs, batch_size):
    """AdamW with a one-cycle schedule up to 4e-3, over the steps of `epochs` epochs."""
    total = max(1, int(round(epochs * (examples // batch_size))))
    opt = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=5e-4)
    return opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=total)


def train_classifier(x, y, epochs, seed, batch_size=128, log=None):
    """Train towers.classifier_cnn with AdamW + one-cycle, label smoothing 0.1, random flips."""
    seed_all(seed)
    model = towers.classifier_cnn()
    gen = torch.Generator().manual_seed(seed)
    opt, sched = _one_cycle(model, x.shape[0], epochs, batch_size)
    model.train()
    t0 = time.time()
    for step, total, idx in _batches(x.shape[0], batch_size, epochs, gen):
        loss = F.cross_entropy(model(_flip(x[idx], gen)), y[idx], label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        _log_progress(log, "cnn", step, total, loss.item(), t0)
    return model.eval()


class PromptSampler:
    """Random training prompts: a training template and, half of the time, the
    label itself, otherwise one of its synonyms."""

    def __init__(self, tokenizer, context_length, seed):
        self.tok = tokenizer
        self.ctx = context_length
        self.rng = random.Random(seed)
        self.cache = {}

    def ids(self, text):
        if text not in self.cache:
            ids, _, truncated = self.tok.tokenize(text, self.ctx)
            if truncated:
                raise ValueError(f"training prompt too long: {text!r}")
            self.cache[text] = ids
        return self.cache[text]

    def one_per_class(self):
        out = []
        for names in prompts.CLASS_NAMES:
            name = names[0] if self.rng.random() < 0.5 else self.rng.choice(names[1:])
            out.append(self.ids(self.rng.choice(prompts.TRAIN_TEMPLATES).format(name)))
        return out


def clip_loss(img, txt, y, scale):
    """Symmetric cross-entropy between B image and 10 class-prompt embeddings (both L2-normalised).

    Image -> text: one right prompt per image. Text -> image: every image of the
    prompt's class is right (uniform soft target); prompts whose class is not in
    the batch are skipped.
    """
    logits = scale * img @ txt.t()                        # [B, 10]
    i2t = F.cross_entropy(logits, y)
    target = F.one_hot(y, txt.shape[0]).t().float()       # [10, B]
    count = target.sum(1)
    present = count > 0
    target = target[present] / count[present, None]
    t2i = -(target * logits.t()[present].log_softmax(1)).sum(1).mean()
    return (i2t + t2i) / 2


def train_clip(x, y, tokenizer, context_length, epochs, seed, embed_dim=64, groups=4,
               batch_size=256, log=None):
    """Train the image and text towers contrastively. Each step draws `groups`
    fresh sets of 10 class prompts; the loss is averaged over the sets."""
    seed_all(seed)
    vision = towers.vision_tower(embed_dim)
    text = towers.TextTower(len(tokenizer.encoder), context_length, embed_dim=embed_dim)
    scale = towers.LogitScale()
    sampler = PromptSampler(tokenizer, context_length, seed)
    gen = torch.Generator().manual_seed(seed)
    total = max(1, int(round(epochs * (x.shape[0] // batch_size))))
    opt = torch.optim.AdamW([
        {"params": vision.parameters(), "lr": 4e-3, "weight_decay": 5e-4},
        {"params": text.parameters(), "lr": 2e-3, "weight_decay": 1e-2},
        {"params": scale.parameters(), "lr": 2e-3, "weight_decay": 0.0},
    ])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[4e-3, 2e-3, 2e-3], total_steps=total)
    vision.train()
    text.train()
    t0 = time.time()
    for step, total, idx in _batches(x.shape[0], batch_size, epochs, gen):
        img = F.normalize(vision(_flip(x[idx], gen)), dim=-1)
        ids = torch.tensor([row for _ in range(groups) for row in sampler.one_per_class()])
        ids = ids[:, :int(ids.argmax(1).max()) + 1]  # drop all-padding columns; the causal mask makes this exact
        txt = F.normalize(text(ids), dim=-1).reshape(groups, 10, -1)
        s = scale()
        loss = sum(clip_loss(img, txt[g], y[idx], s) for g in range(groups)) / groups
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        _log_progress(log, f"clip (scale {s.item():.1f})", step, total, loss.item(), t0)
    return vision.eval(), text.eval(), scale.eval()


def train_vision(x, y, text_embeddings, logit_scale, epochs, seed, embed_dim=64, batch_size=128, log=None):
    """Train towers.residual_vision_tower against fixed label embeddings.

    The loss is the cross-entropy of softmax(logit_scale * normalize(image) @ text_embeddings.T),
    the service's own CLIP scoring, so the tower is trained for exactly what it is asked at run
    time while the text tower, and with it run-time labels, stays as the contrastive training
    left it. Random shifts as well as flips: the classifier only saw flips, and images it never
    saw off-centre are where the two should disagree usefully.
    """
    seed_all(seed)
    model = towers.residual_vision_tower(embed_dim)
    gen = torch.Generator().manual_seed(seed)
    emb = torch.as_tensor(text_embeddings, dtype=torch.float32)
    background = float(x.min())  # black, normalised
    opt, sched = _one_cycle(model, x.shape[0], epochs, batch_size)
    model.train()
    t0 = time.time()
    for step, total, idx in _batches(x.shape[0], batch_size, epochs, gen):
        img = F.normalize(model(_shift(_flip(x[idx], gen), gen, background)), dim=-1)
        loss = F.cross_entropy(logit_scale * img @ emb.t(), y[idx], label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        _log_progress(log, "vision", step, total, loss.item(), t0)
    return model.eval()
