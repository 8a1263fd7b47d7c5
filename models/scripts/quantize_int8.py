#!/usr/bin/python3
"""Dynamic INT8 quantization of an fp32 ONNX model (MatMul / Gemm with constant weights).

    /usr/bin/python3 models/scripts/quantize_int8.py IN.onnx OUT.onnx [--min-elements 4096]
        [--exclude NODE_NAME ...] [--reduce-range] [--unshare-weights]

Every MatMul (and Gemm) whose weight input is a constant float32 rank-2
initializer with at least --min-elements elements becomes
DynamicQuantizeLinear -> MatMulInteger (per-column symmetric int8 weights)
-> Cast -> Mul(A_scale * W_scale), the pattern onnxruntime fuses into
MatMulIntegerToFloat / DynamicQuantizeMatMul at load. Everything else stays
fp32. Models with external data are read as long as the total is under 2 GB;
the output is always one file. See onnx_quant.py.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import onnx  # noqa: E402

import onnx_quant  # noqa: E402


def quantize_file(src, dst, min_elements=4096, exclude=(), reduce_range=False, unshare_weights=False, check=True,
                  log=print):
    start = time.time()
    model = onnx_quant.load(src)
    stats = onnx_quant.quantize_model(model, min_elements=min_elements, exclude=exclude,
                                      reduce_range=reduce_range, unshare_weights=unshare_weights)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    onnx_quant.save(model, dst)
    if check:
        onnx.checker.check_model(dst, full_check=True)
    stats["file_bytes_before"] = os.path.getsize(src)
    stats["file_bytes_after"] = os.path.getsize(dst)
    stats["seconds"] = time.time() - start
    mib = 2**20
    log(f"{os.path.basename(src)} -> {os.path.basename(dst)}: rewrote {stats['matmul']} MatMul + {stats['gemm']} Gemm "
        f"({stats['weights']} distinct weights, {stats['weight_params'] / 1e6:.2f} M params -> int8); "
        f"left fp32: {stats['skipped_small']} small, {stats['skipped_rank']} not rank 2, {stats['excluded']} excluded; "
        f"bias Add swapped for fusion: {stats['bias_swapped']}")
    log(f"  initializers {stats['bytes_before'] / mib:.1f} MiB -> {stats['bytes_after'] / mib:.1f} MiB, "
        f"file {stats['file_bytes_before'] / mib:.1f} MiB -> {stats['file_bytes_after'] / mib:.1f} MiB "
        f"({stats['seconds']:.1f} s)")
    if stats["shared_weights"]:
        if unshare_weights:
            log(f"  {len(stats['shared_weights'])} weight(s) read by several MatMuls were given one int8 copy per node")
        else:
            log(f"  note: {len(stats['shared_weights'])} weight(s) are shared by several MatMuls and quantized once "
                f"(e.g. {stats['shared_weights'][0]!r}); onnxruntime fails to load such a model with "
                "session.x64quantprecision=1 - use --unshare-weights if you need that option")
    if stats["matmul"] + stats["gemm"] == 0:
        log("  warning: nothing was quantized (no MatMul/Gemm with a large enough constant rank-2 weight)")
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", help="fp32 ONNX model (external data next to it is read, total < 2 GB)")
    ap.add_argument("output", help="quantized ONNX model (one file)")
    ap.add_argument("--min-elements", type=int, default=4096,
                    help="quantize weights with at least this many elements (default 4096)")
    ap.add_argument("--exclude", nargs="*", default=[], metavar="NODE_NAME",
                    help="MatMul/Gemm node names to leave in fp32")
    ap.add_argument("--reduce-range", action="store_true",
                    help="7-bit weights ([-64, 64]): no int16 saturation in the AVX2 u8s8 kernels, less precision")
    ap.add_argument("--unshare-weights", action="store_true",
                    help="one int8 copy of a shared weight per node (needed for onnxruntime's x64quantprecision)")
    ap.add_argument("--no-check", action="store_true", help="skip onnx.checker on the output")
    args = ap.parse_args()
    if os.path.abspath(args.input) == os.path.abspath(args.output):
        ap.error("output must differ from input")
    try:
        quantize_file(args.input, args.output, args.min_elements, args.exclude, args.reduce_range,
                      args.unshare_weights, check=not args.no_check)
    except onnx_quant.QuantizeError as e:
        print(f"quantize_int8: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
