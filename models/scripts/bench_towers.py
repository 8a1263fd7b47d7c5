"""Full-size model definitions for the benchmark pack (random weights, real shapes).

- VisionTransformer: CLIP ViT-B/32 image tower (patch 32, width 768, 12 layers,
  12 heads, MLP 3072, pre-LN, class token, QuickGELU, projection 512).
- TextTransformer: CLIP text tower (width 512, 12 layers, 8 heads, context 77,
  vocab 49408, causal, pooled at argmax(input_ids), projection 512).
- mobilenet_v2: MobileNetV2 (width 1.0, 224 x 224, 1000 classes).

Attention is written with separate q/k/v nn.Linear layers plus MatMul/Softmax,
so the ONNX export has plain MatMul nodes with constant weights (what
quantize_int8.py rewrites) and no fused attention op. Initialisation follows
openai/CLIP's `initialize_parameters` scales, so activations have realistic
magnitudes even though the weights are random.
"""

import torch
import torch.nn as nn

from towers import CausalTextTower


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = width // heads
        self.scale = self.head_dim ** -0.5
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, mask=None):
        b, s, w = x.shape
        q = (self.q_proj(x) * self.scale).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-1, -2))
        if mask is not None:
            att = att + mask
        y = torch.matmul(att.softmax(-1), v).transpose(1, 2).reshape(b, s, w)
        return self.out_proj(y)


class Block(nn.Module):
    """Pre-LayerNorm residual attention block (CLIP's ResidualAttentionBlock)."""

    def __init__(self, width, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, mlp)
        self.act = QuickGELU()
        self.fc2 = nn.Linear(mlp, width)

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.fc2(self.act(self.fc1(self.ln_2(x))))


def _init_blocks(blocks, width):
    layers = len(blocks)
    attn_std = width ** -0.5
    proj_std = width ** -0.5 * (2 * layers) ** -0.5
    fc_std = (2 * width) ** -0.5
    for blk in blocks:
        for lin in (blk.attn.q_proj, blk.attn.k_proj, blk.attn.v_proj):
            nn.init.normal_(lin.weight, std=attn_std)
        nn.init.normal_(blk.attn.out_proj.weight, std=proj_std)
        nn.init.normal_(blk.fc1.weight, std=fc_std)
        nn.init.normal_(blk.fc2.weight, std=proj_std)
        for lin in (blk.attn.q_proj, blk.attn.k_proj, blk.attn.v_proj, blk.attn.out_proj, blk.fc1, blk.fc2):
            nn.init.normal_(lin.bias, std=0.02)


class VisionTransformer(nn.Module):
    def __init__(self, image_size=224, patch=32, width=768, layers=12, heads=12, mlp=3072, embed_dim=512):
        super().__init__()
        scale = width ** -0.5
        self.grid = image_size // patch
        self.conv1 = nn.Conv2d(3, width, patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(self.grid ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.ModuleList([Block(width, heads, mlp) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Linear(width, embed_dim, bias=False)
        _init_blocks(self.blocks, width)
        nn.init.normal_(self.proj.weight, std=scale)

    def forward(self, pixel_values):
        x = self.conv1(pixel_values).flatten(2).transpose(1, 2)                # [b, 49, width]
        cls = self.class_embedding.reshape(1, 1, -1).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x)
        for blk in self.blocks:
            x = blk(x)
        return self.proj(self.ln_post(x[:, 0]))


class TextTransformer(CausalTextTower):
    def __init__(self, vocab_size=49408, context_length=77, width=512, layers=12, heads=8, mlp=2048,
                 embed_dim=512):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width))
        self.blocks = nn.ModuleList([Block(width, heads, mlp) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Linear(width, embed_dim, bias=False)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        _init_blocks(self.blocks, width)
        nn.init.normal_(self.text_projection.weight, std=width ** -0.5)
        self._register_causal_buffers(context_length)


def _conv_bn(cin, cout, k, stride, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6())
    return layers


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else _conv_bn(cin, hidden, 1, 1)
        layers += _conv_bn(hidden, hidden, 3, stride, groups=hidden) + _conv_bn(hidden, cout, 1, 1, act=False)
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1)]

    def __init__(self, num_classes=1000):
        super().__init__()
        layers = _conv_bn(3, 32, 3, 2)
        cin = 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += _conv_bn(cin, 1280, 1, 1)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(1280, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, pixel_values):
        return self.classifier(self.pool(self.features(pixel_values)).flatten(1))


def calibrate_batchnorm(model, batches):
    """Set BatchNorm running statistics from a few input batches (cumulative average), then eval()."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for x in batches:
            model(x)
    return model.eval()


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def vit_macs(image_size=224, patch=32, width=768, layers=12, mlp=3072, embed_dim=512):
    """Multiply-accumulates per image (matmuls and the patch conv; norms/softmax ignored)."""
    n = (image_size // patch) ** 2
    s = n + 1
    conv = n * 3 * patch * patch * width
    per_layer = s * (4 * width * width + 2 * width * mlp) + 2 * s * s * width
    return conv + layers * per_layer + width * embed_dim


def text_macs(seq, width=512, layers=12, mlp=2048, embed_dim=512):
    per_layer = seq * (4 * width * width + 2 * width * mlp) + 2 * seq * seq * width
    return layers * per_layer + width * embed_dim


def conv_macs(model, image_size=224):
    """MACs of Conv2d/Linear layers, measured with forward hooks on one image."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
            total[0] += out.numel() * k
        elif isinstance(m, nn.Linear):
            total[0] += out.numel() * m.in_features

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, image_size, image_size))
    for h in hooks:
        h.remove()
    return total[0]


class _DenseMkldnnLinear(nn.Module):
    """nn.Linear run through oneDNN (dense in, dense out). Debian's torch uses a generic BLAS for
    addmm (a few GFLOP/s); oneDNN's inner product is several times faster. Inference only."""

    def __init__(self, linear):
        super().__init__()
        from torch.utils import mkldnn as mkldnn_utils
        self.inner = mkldnn_utils.MkldnnLinear(linear, torch.float)
        self.out_features = linear.out_features

    def forward(self, x):
        shape = x.shape
        y = self.inner(x.reshape(-1, shape[-1]).contiguous().to_mkldnn()).to_dense()
        return y.reshape(*shape[:-1], self.out_features)


def fast_inference_copy(model):
    """A deep copy of `model` (eval mode) whose nn.Linear layers run on oneDNN when torch has it."""
    import copy
    model = copy.deepcopy(model).eval()
    if not torch.backends.mkldnn.is_available():
        return model
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Linear):
                setattr(module, name, _DenseMkldnnLinear(child))
    return model
