"""Model definitions: the classifier CNN, the CLIP image tower and the CLIP text tower.

Both image models take RGB [batch, 3, 28, 28]. Their first convolution is
trained on one grey channel and applied to RGB as the mean of the three
channels (its weight is replicated / 3), so a grey image replicated to RGB
gives exactly the grey result and a colour image is seen through its
channel mean.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class GreyConv(nn.Conv2d):
    """Conv with a 1-channel weight applied to the mean of the RGB channels."""

    def __init__(self, out_channels, kernel_size):
        super().__init__(1, out_channels, kernel_size, padding=kernel_size // 2, bias=False)

    def rgb_weight(self):
        return self.weight.repeat(1, 3, 1, 1) / 3.0

    def forward(self, x):
        return F.conv2d(x, self.rgb_weight(), None, self.stride, self.padding)


def _conv_bn_relu(cin, cout, k=3):
    return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def classifier_cnn(num_classes=10):
    """3 conv-BN-ReLU-maxpool stages (32, 64, 128), 3x3 kernels, then a linear layer on the 3x3 map."""
    return nn.Sequential(
        GreyConv(32, 3), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),      # 14x14
        *_conv_bn_relu(32, 64), nn.MaxPool2d(2),                            # 7x7
        *_conv_bn_relu(64, 128), nn.MaxPool2d(2),                           # 3x3
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(128 * 9, num_classes),
    )


def vision_tower(embed_dim=64):
    """The text tower's partner in contrastive training: 5x5 stem (32), one 3x3 stage (64), then a
    linear projection of the 7x7 map. Not shipped: residual_vision_tower replaces it."""
    return nn.Sequential(
        GreyConv(32, 5), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),      # 14x14
        *_conv_bn_relu(32, 64), nn.MaxPool2d(2),                            # 7x7
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(64 * 49, embed_dim),
    )


class Residual(nn.Module):
    """relu(x + body(x)): a skip connection around a conv-BN-ReLU-conv-BN body."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return F.relu(x + self.body(x))


def residual_vision_tower(embed_dim=64):
    """The CLIP image tower: 5x5 stem (32), a 3x3 stage (64), a residual block on the 7x7 map,
    then a linear projection of the whole 7x7 map.

    Deliberately unlike the classifier (3x3 stem, three pooled stages, a 3x3 map): a larger
    first receptive field and a finer final map, so its mistakes are less often the same.
    """
    return nn.Sequential(
        GreyConv(32, 5), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),      # 14x14
        *_conv_bn_relu(32, 64), nn.MaxPool2d(2),                            # 7x7
        Residual(nn.Sequential(*_conv_bn_relu(64, 64), nn.Conv2d(64, 64, 3, padding=1, bias=False),
                               nn.BatchNorm2d(64))),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(64 * 49, embed_dim),
    )


def fold_for_export(model):
    """Plain copy for ONNX export: BN folded into the preceding conv, GreyConv
    turned into an ordinary 3-channel conv, Dropout removed."""
    mods = list(model)
    out, i = [], 0
    while i < len(mods):
        m = mods[i]
        if isinstance(m, nn.Conv2d):
            w = m.rgb_weight() if isinstance(m, GreyConv) else m.weight
            w = w.detach().clone()
            b = m.bias.detach().clone() if m.bias is not None else torch.zeros(w.shape[0])
            if i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
                bn = mods[i + 1]
                scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
                w = w * scale[:, None, None, None]
                b = (b - bn.running_mean) * scale + bn.bias.detach()
                i += 1
            conv = nn.Conv2d(w.shape[1], w.shape[0], m.kernel_size, m.stride, m.padding, bias=True)
            conv.weight.data.copy_(w)
            conv.bias.data.copy_(b)
            out.append(conv)
        elif isinstance(m, Residual):
            out.append(Residual(fold_for_export(m.body)))
        elif isinstance(m, nn.Dropout):
            pass
        else:
            out.append(m)
        i += 1
    return nn.Sequential(*out).eval()


class _Block(nn.Module):
    """Pre-LayerNorm transformer block with causal self-attention, written with plain ops."""

    def __init__(self, width, heads, mlp):
        super().__init__()
        self.heads = heads
        self.head_dim = width // heads
        self.ln_1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, mlp)
        self.proj = nn.Linear(mlp, width)

    def forward(self, x, mask):
        b, s = x.shape[0], x.shape[1]
        hd = self.head_dim
        q, k, v = self.qkv(self.ln_1(x)).reshape(b, s, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(hd)) + mask
        y = torch.matmul(att.softmax(-1), v).transpose(1, 2).reshape(b, s, self.heads * hd)
        x = x + self.out(y)
        return x + self.proj(F.gelu(self.fc(self.ln_2(x))))


class CausalTextTower(nn.Module):
    """CLIP's text tower: token and position embeddings, causal transformer blocks, a final
    LayerNorm, pooled at the end token and projected. A subclass builds `token_embedding`,
    `positional_embedding`, `blocks` (each called as `block(x, mask)`), `ln_final` and
    `text_projection`, initialises them, and calls `_register_causal_buffers`."""

    def _register_causal_buffers(self, context_length):
        mask = torch.full((context_length, context_length), float("-inf")).triu(1)
        self.register_buffer("causal_mask", mask, persistent=False)
        self.register_buffer("positions", torch.arange(context_length), persistent=False)

    def forward(self, input_ids):
        s = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.positional_embedding[:s]
        mask = self.causal_mask[:s, :s]
        for block in self.blocks:
            x = block(x, mask)
        x = self.ln_final(x)
        # The end token is the highest id: pool there. ArgMax on int32 (ONNX Runtime's CPU
        # ArgMax has no int64 kernel), then a one-hot select, which exports to plain ops.
        end = input_ids.to(torch.int32).argmax(-1)
        pick = (self.positions[:s].unsqueeze(0) == end.unsqueeze(1)).to(x.dtype)
        return self.text_projection((x * pick.unsqueeze(-1)).sum(1))


class TextTower(CausalTextTower):
    """Tiny causal transformer over BPE ids, pooled at the end token (argmax of the ids)."""

    def __init__(self, vocab_size, context_length=16, width=64, layers=2, heads=4, mlp=256, embed_dim=64):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.randn(context_length, width) * 0.01)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        self.blocks = nn.ModuleList([_Block(width, heads, mlp) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Linear(width, embed_dim, bias=False)
        self._register_causal_buffers(context_length)


class LogitScale(nn.Module):
    """CLIP's learned temperature: logit_scale = exp(t), clamped to at most 100."""

    def __init__(self, init=1 / 0.07):
        super().__init__()
        self.t = nn.Parameter(torch.tensor(math.log(init)))

    def forward(self):
        return self.t.exp().clamp(max=100.0)
