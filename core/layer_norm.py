"""LayerNorm, GroupNorm and InstanceNorm: statistics per sample, never across the batch.

    >>> x = np.arange(12, dtype=np.float64).reshape(2, 2, 3)
    >>> layer_norm(x).stats["mean"].shape, group_norm(x, num_groups=2).stats["mean"].shape
    ((2, 2), (2, 2))
    >>> instance_norm(x).stats["mean"]
    array([[ 1.,  4.],
           [ 7., 10.]])

LayerNorm on (B, S, D) over [D] gives one mean per (b, s); over [C, H, W] on images, one per sample. GroupNorm
splits the C channels into G groups and views x as (N, G, C/G, *spatial): one mean per (n, g). InstanceNorm is
GroupNorm with G = C, plus BatchNorm-style running statistics when asked. The steps come from core.normalize;
this module only says how each layer groups x and what its arguments mean.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from normlens import normalize as nz
from normlens.checks import ArgumentError, grad_output_array, input_array, resolve
from normlens.spec import LayerSpec, Param
from normlens.trace import Grouping, Text, Trace, Warning_

# the usual names of the axes of a tensor of each rank
LN_NAMES = {
    1: ("D",),
    2: ("N", "D"),
    3: ("B", "S", "D"),
    4: ("N", "C", "H", "W"),
    5: ("N", "C", "D", "H", "W"),
}
CF_NAMES = {2: ("N", "C"), 3: ("N", "C", "L"), 4: ("N", "C", "H", "W"), 5: ("N", "C", "D", "H", "W")}


def _eps_param() -> Param:
    return Param(
        "eps",
        "float",
        1e-5,
        Text(
            "Added to the variance before the square root, so a constant group does not divide by zero.",
            "开方前加到方差上,避免常数组除以零。",
        ),
        minimum=0,
        exclusive_minimum=True,
    )


def _affine_param(name: str, what: str, what_zh: str, length: str) -> Param:
    default = "ones" if name == "gamma" else "zeros"
    default_zh = "全 1" if name == "gamma" else "全 0"
    role, role_zh = ("scale γ (the module's weight)", "缩放 γ(模块的 weight)")
    if name == "beta":
        role, role_zh = ("shift β (the module's bias)", "偏移 β(模块的 bias)")
    return Param(
        name,
        "float_array",
        None,
        Text(
            f"The {role}, one per {what}; null means {default}.",
            f"{role_zh},每个{what_zh}一个;null 表示{default_zh}。",
        ),
        length=length,
    )


# LayerNorm and RMSNorm take the same argument
NORMALIZED_SHAPE = Param(
    "normalized_shape",
    "int_list",
    None,
    Text(
        "The trailing axes to normalize over; they must equal the input's last axes. null means the "
        "last axis only, [D].",
        "参与归一化的末尾维度,必须与输入的最后几个维度一致。null 表示只用最后一维 [D]。",
    ),
)

LAYER_NORM_SPEC = LayerSpec(
    name="layer_norm",
    title=Text("LayerNorm", "层归一化 LayerNorm"),
    description=Text(
        "Normalizes each sample over its last axes (a token's D features in a Transformer, or a whole C×H×W "
        "feature map), so it never mixes samples: it behaves the same for batch size 1, in training and in "
        "evaluation, which is why Transformers and RNNs use it instead of BatchNorm. γ and β have the "
        "normalized shape, one per feature.",
        "对每个样本在最后几个维度上标准化(Transformer 中一个 token 的 D 个特征,或整张 C×H×W 特征图),从不混合"
        "不同样本:batch 大小为 1 时、训练和推理时行为都一样,这就是 Transformer 和 RNN 用它代替 BatchNorm 的"
        "原因。γ 和 β 的形状与被归一化的形状相同,每个特征一个。",
    ),
    torch_classes=("nn.LayerNorm",),
    input_ranks=(1, 2, 3, 4, 5),
    input_layout=Text(
        "(*, *normalized_shape), e.g. (B, S, D) with normalized_shape=[D], (N, C, H, W) with [C, H, W]",
        "(*, *normalized_shape),例如 (B, S, D) 配 normalized_shape=[D],(N, C, H, W) 配 [C, H, W]",
    ),
    params=(
        NORMALIZED_SHAPE,
        _eps_param(),
        Param(
            "elementwise_affine",
            "bool",
            True,
            Text(
                "Learn γ (and β if bias) of the normalized shape: LayerNorm([C, H, W]) has 2·C·H·W parameters.",
                "学习形状为 normalized_shape 的 γ(bias 为 true 时还有 β):LayerNorm([C, H, W]) 有 2·C·H·W 个参数。",
            ),
        ),
        Param(
            "bias",
            "bool",
            True,
            Text("Learn the shift β too (false halves the parameters).", "同时学习偏移 β(false 时参数减半)。"),
        ),
        _affine_param("gamma", "normalized element", "被归一化的元素", "prod(normalized_shape)"),
        _affine_param("beta", "normalized element", "被归一化的元素", "prod(normalized_shape)"),
    ),
)

GROUP_NORM_SPEC = LayerSpec(
    name="group_norm",
    title=Text("GroupNorm", "组归一化 GroupNorm"),
    description=Text(
        "Splits the C channels of each sample into G groups and normalizes each group over its C/G channels "
        "and all positions. Like LayerNorm it ignores the batch, so it works with the tiny batches of "
        "detection and segmentation; G = 1 is LayerNorm over (C, H, W) and G = C is InstanceNorm. γ and β "
        "are per channel.",
        "把每个样本的 C 个通道分成 G 组,每组在其 C/G 个通道和所有位置上标准化。与 LayerNorm 一样不依赖 "
        "batch,因此适合检测、分割中很小的 batch;G = 1 即在 (C, H, W) 上的 LayerNorm,G = C 即 InstanceNorm。"
        "γ 和 β 每通道一个。",
    ),
    torch_classes=("nn.GroupNorm",),
    input_ranks=(2, 3, 4, 5),
    input_layout=Text(
        "(N, C), (N, C, L), (N, C, H, W), (N, C, D, H, W)", "(N, C)、(N, C, L)、(N, C, H, W)、(N, C, D, H, W)"
    ),
    params=(
        Param(
            "num_groups",
            "int",
            1,
            Text(
                "Number of groups G; C must be divisible by it. PyTorch has no default (32 is common); 1 "
                "here, which is LayerNorm over (C, *) with per-channel γ and β.",
                "组数 G,C 必须能被它整除。PyTorch 没有默认值(常用 32);这里默认 1,即在 (C, *) 上的 LayerNorm,"
                "γ 和 β 每通道一个。",
            ),
            minimum=1,
        ),
        _eps_param(),
        Param(
            "affine",
            "bool",
            True,
            Text(
                "Learn a scale γ and shift β per channel (2C parameters).",
                "每个通道学习缩放 γ 和偏移 β(共 2C 个参数)。",
            ),
        ),
        _affine_param("gamma", "channel", "通道", "C"),
        _affine_param("beta", "channel", "通道", "C"),
    ),
)

INSTANCE_NORM_SPEC = LayerSpec(
    name="instance_norm",
    title=Text("InstanceNorm", "实例归一化 InstanceNorm"),
    description=Text(
        "Normalizes each channel of each sample over its spatial positions only (H·W values), removing "
        "per-image contrast: the classic choice for style transfer. By default it has no γ, β or running "
        "statistics, so training and evaluation agree; with track_running_stats it averages per-instance "
        "statistics over the batch like BatchNorm.",
        "对每个样本的每个通道,只在空间位置(H·W 个数)上标准化,去掉每张图各自的对比度:风格迁移的经典选择。默认"
        "没有 γ、β 和滑动统计量,所以训练和推理一致;开启 track_running_stats 时,会像 BatchNorm 那样把每个实例"
        "的统计量在 batch 上平均后更新滑动统计量。",
    ),
    torch_classes=("nn.InstanceNorm1d", "nn.InstanceNorm2d", "nn.InstanceNorm3d"),
    input_ranks=(3, 4, 5),
    input_layout=Text("(N, C, L), (N, C, H, W), (N, C, D, H, W)", "(N, C, L)、(N, C, H, W)、(N, C, D, H, W)"),
    params=(
        Param(
            "training",
            "bool",
            True,
            Text(
                "Training mode (module.train()). It only matters with track_running_stats: then training "
                "updates the running statistics and evaluation normalizes with them.",
                "训练模式(module.train())。只在 track_running_stats 为 true 时有区别:训练时更新滑动统计量,评"
                "估时用它们归一化。",
            ),
        ),
        _eps_param(),
        Param(
            "momentum",
            "float_or_null",
            0.1,
            Text(
                "Weight of the new batch in the running statistics. null: PyTorch's InstanceNorm passes 0, "
                "so the running statistics never change.",
                "新 batch 在滑动统计量中的权重。null:PyTorch 的 InstanceNorm 会传入 0,滑动统计量因此永不改变。",
            ),
            minimum=0,
            maximum=1,
        ),
        Param(
            "affine",
            "bool",
            False,
            Text(
                "Learn a scale γ and shift β per channel (off by default).",
                "每个通道学习缩放 γ 和偏移 β(默认关闭)。",
            ),
        ),
        Param(
            "track_running_stats",
            "bool",
            False,
            Text(
                "Keep running_mean and running_var (per channel, averaged over the batch); evaluation then "
                "uses them. Off by default.",
                "保存 running_mean 和 running_var(每通道一个,在 batch 上平均);评估时使用它们。默认关闭。",
            ),
        ),
        _affine_param("gamma", "channel", "通道", "C"),
        _affine_param("beta", "channel", "通道", "C"),
        Param(
            "running_mean",
            "float_array",
            None,
            Text(
                "Running mean before this call, one per channel; null means zeros.",
                "调用前的滑动均值,每通道一个;null 表示全 0。",
            ),
            length="C",
        ),
        Param(
            "running_var",
            "float_array",
            None,
            Text(
                "Running variance before this call, one per channel (>= 0); null means ones.",
                "调用前的滑动方差,每通道一个(>= 0);null 表示全 1。",
            ),
            length="C",
        ),
        Param(
            "num_batches_tracked",
            "int",
            0,
            Text(
                "The buffer's value; unlike BatchNorm, PyTorch's InstanceNorm never increments it.",
                "该缓冲区的值;与 BatchNorm 不同,PyTorch 的 InstanceNorm 从不增加它。",
            ),
            minimum=0,
        ),
    ),
)


def layer_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.LayerNorm(normalized_shape) on x (float32 or float64; the computation runs in x's dtype)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by finite_result instead
        return _layer_norm(x, grad_output, params)


def group_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.GroupNorm(num_groups, C) on (N, C, *) input."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _group_norm(x, grad_output, params)


def instance_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.InstanceNorm1d/2d/3d on (N, C, *spatial) input."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _instance_norm(x, grad_output, params)


def _layer_norm(x: Any, grad_output: Any, params: dict[str, Any]) -> Trace:
    x = input_array(x)
    a = resolve(LAYER_NORM_SPEC, params)
    if x.ndim not in LN_NAMES:
        raise ArgumentError(
            f"layer_norm accepts input with 1 to 5 axes, got shape {list(x.shape)}",
            f"layer_norm 接受有 1 到 5 个轴的输入，实际形状为 {list(x.shape)}",
        )
    ns = _normalized_shape(a["normalized_shape"], x)
    eps = nz.eps_arg(a["eps"])
    affine = nz.flag("elementwise_affine", a["elementwise_affine"])
    bias = nz.flag("bias", a["bias"])
    dt = x.dtype
    per = "normalized element"
    gamma = nz.param_arg("gamma", a["gamma"], ns, dt, 1.0, affine, "elementwise_affine", per)
    if a["beta"] is not None and affine and not bias:
        raise ArgumentError(
            "beta was given but bias is false; set bias=true or drop beta",
            "给出了 beta，但 bias 为 false；请设置 bias=true 或去掉 beta",
        )
    beta = nz.param_arg("beta", a["beta"], ns, dt, 0.0, affine and bias, "elementwise_affine", per)
    dy = None if grad_output is None else grad_output_array(grad_output, x)

    k = len(ns)
    names = LN_NAMES[x.ndim]
    lead, norm = names[: x.ndim - k], names[x.ndim - k :]
    # a single statistic still has shape (1,): JSON has no 0-d arrays
    lead_shape = x.shape[: x.ndim - k] or (1,)
    B, D = math.prod(lead_shape), math.prod(ns)
    grouping = Grouping(x.shape, lead_shape, tuple((i, 1) for i in range(x.ndim - k)) + (None,) * k)
    axes = "(" + ", ".join(norm) + ")"
    lead_txt = "(" + ", ".join(lead) + ")"
    per_txt = Text(f"{lead_txt} position", f"{lead_txt} 位置") if lead else Text("input", "输入")
    notation = nz.Notation(
        names=names,
        elem="".join(n.lower() for n in names),
        stat="".join(n.lower() for n in lead),
        over=",".join(n.lower() for n in norm),
        param="".join(n.lower() for n in norm),
        param_over=",".join(n.lower() for n in lead),
        axes=Text(axes, axes),
        per=per_txt,
        param_axes=Text(lead_txt, lead_txt),
    )
    sizes = " · ".join(map(str, ns))
    text = Text(
        f"Statistics are taken over the last {k} axis(es) {axes}, inside each sample: m = {sizes} = {D} "
        f"values per group, {B} group(s), one per {per_txt.en}. Nothing is shared across the batch.",
        f"在每个样本内部、最后 {k} 个维度 {axes} 上求统计量:每组 m = {sizes} = {D} 个数,共 {B} 组,每"
        f"个{per_txt.zh}一组。不跨 batch 共享。",
    )
    idx = ",".join(n.lower() for n in names)
    formula = f"g({idx}) = ({','.join(n.lower() for n in lead)})" if lead else f"g({idx}) = 0"
    plan = nz.Plan(grouping, (1, B, D), (B, D, 1), ns, notation, text, formula)
    res = nz.run(x, plan, eps=eps, gamma=gamma, beta=beta, grad_output=dy)
    module = f"nn.LayerNorm({list(ns)}, eps={eps!r}, elementwise_affine={affine}, bias={bias}, dtype=torch.{dt.name})"
    code = nz.torch_snippet(x, module, _affine_buffers(gamma, beta), True, dy)
    learn = D * (2 if bias else 1) if affine else 0
    return Trace(
        layer="layer_norm",
        dtype=dt.name,
        shape=x.shape,
        grouping=grouping,
        steps=res.forward + res.backward,
        output=res.output,
        stats=res.stats,
        params={"normalized_shape": list(ns), "eps": eps, "elementwise_affine": affine, "bias": bias},
        param_counts={"learnable": learn, "buffers": 0},
        torch_code=code,
        parameters={"gamma": gamma, "beta": beta},
        grads=res.grads,
        warnings=_one_value_warning(plan.grouping.group_size),
    )


def _group_norm(x: Any, grad_output: Any, params: dict[str, Any]) -> Trace:
    x = input_array(x)
    a = resolve(GROUP_NORM_SPEC, params)
    if x.ndim not in CF_NAMES:
        if x.ndim < 2:
            raise ArgumentError(
                "group_norm accepts (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W) input, got "
                f"shape {list(x.shape)} (PyTorch: Expected at least 2 dimensions for input tensor but "
                f"received {x.ndim})",
                "group_norm 接受形状为 (N, C)、(N, C, L)、(N, C, H, W) 或 (N, C, D, H, W) 的输入，实际形状为 "
                f"{list(x.shape)}（PyTorch 报错：Expected at least 2 dimensions for input tensor but "
                f"received {x.ndim}）",
            )
        raise ArgumentError(
            f"group_norm accepts input with 2 to 5 axes (N, C, *), got shape {list(x.shape)}",
            f"group_norm 接受有 2 到 5 个轴的输入 (N, C, *)，实际形状为 {list(x.shape)}",
        )
    G = nz.integer("num_groups", a["num_groups"], 1)
    N, C = x.shape[:2]
    if C % G:
        raise ArgumentError(
            f"num_groups must divide the {C} channels; pick one of {_divisors(C)} (PyTorch: num_channels "
            f"({C}) must be divisible by num_groups ({G}))",
            f"num_groups 必须能整除通道数 {C}；请从 {_divisors(C)} 中选一个（PyTorch 报错：num_channels ({C}) must be "
            f"divisible by num_groups ({G})）",
        )
    eps = nz.eps_arg(a["eps"])
    affine = nz.flag("affine", a["affine"])
    dt = x.dtype
    gamma = nz.param_arg("gamma", a["gamma"], (C,), dt, 1.0, affine, "affine", "channel")
    beta = nz.param_arg("beta", a["beta"], (C,), dt, 0.0, affine, "affine", "channel")
    dy = None if grad_output is None else grad_output_array(grad_output, x)

    names = CF_NAMES[x.ndim]
    spatial = names[2:]
    S = math.prod(x.shape[2:])
    Cg = C // G
    grouping = Grouping(x.shape, (N, G), ((0, 1), (1, Cg)) + (None,) * len(spatial))
    sp = "".join(",\\, " + n.lower() for n in spatial) if spatial else ""
    axes = f"(C/G = {Cg}" + "".join(", " + n for n in spatial) + ")"
    notation = nz.Notation(
        names=names,
        elem="".join(n.lower() for n in names),
        stat="ng",
        over=f"c \\in g{sp}",
        param="c",
        param_over=",".join(["n", *(n.lower() for n in spatial)]),
        axes=Text(axes, axes),
        per=Text("(sample, group)", "(样本, 组)"),
        param_axes=Text("(" + ", ".join(["N", *spatial]) + ")", "(" + ", ".join(["N", *spatial]) + ")"),
    )
    m = Cg * S
    sizes = " · ".join(map(str, (Cg, *x.shape[2:])))
    text = Text(
        f"The {C} channels are split into G = {G} groups of C/G = {Cg} consecutive channels; each sample's "
        f"group has its own statistics over {axes}: m = {sizes} = {m} values, N · G = {N * G} groups. "
        "Nothing is shared across the batch.",
        f"{C} 个通道被分成 G = {G} 组,每组 C/G = {Cg} 个相邻通道;每个样本的每一组在 {axes} 上单独求统计量:m "
        f"= {sizes} = {m} 个数,共 N · G = {N * G} 组。不跨 batch 共享。",
    )
    idx = ",".join(n.lower() for n in names)
    formula = f"g({idx}) = (n, \\lfloor c / {Cg} \\rfloor)"
    # x viewed as (N, G, C/G, *spatial): each (n, g) group is one contiguous run of C/G * S values
    plan = nz.Plan(grouping, (1, N * G, m), (N, C, S), (C,), notation, text, formula)
    res = nz.run(x, plan, eps=eps, gamma=gamma, beta=beta, grad_output=dy)
    module = f"nn.GroupNorm({G}, {C}, eps={eps!r}, affine={affine}, dtype=torch.{dt.name})"
    code = nz.torch_snippet(x, module, _affine_buffers(gamma, beta), True, dy)
    return Trace(
        layer="group_norm",
        dtype=dt.name,
        shape=x.shape,
        grouping=grouping,
        steps=res.forward + res.backward,
        output=res.output,
        stats=res.stats,
        params={"num_groups": G, "eps": eps, "affine": affine},
        param_counts={"learnable": 2 * C if affine else 0, "buffers": 0},
        torch_code=code,
        parameters={"gamma": gamma, "beta": beta},
        grads=res.grads,
        warnings=_one_value_warning(m),
    )


def _instance_norm(x: Any, grad_output: Any, params: dict[str, Any]) -> Trace:
    x = input_array(x)
    a = resolve(INSTANCE_NORM_SPEC, params)
    if x.ndim not in (3, 4, 5):
        want = {2: "2D or 3D", 3: "3D or 4D", 4: "4D or 5D"}
        hint = hint_zh = ""
        if x.ndim == 2:
            hint = " (an unbatched (C, L) input: add the batch axis, shape [1, " + ", ".join(map(str, x.shape)) + "])"
            hint_zh = "（这是不带批维的 (C, L) 输入：请加上批维，形状为 [1, " + ", ".join(map(str, x.shape)) + "]）"
        raise ArgumentError(
            "instance_norm accepts (N, C, L), (N, C, H, W) or (N, C, D, H, W) input (InstanceNorm1d/2d/3d),"
            f" got {x.ndim}D input of shape {list(x.shape)}{hint} (PyTorch InstanceNorm1d: "
            f"expected {want[2]} input (got {x.ndim}D input))",
            "instance_norm 接受形状为 (N, C, L)、(N, C, H, W) 或 (N, C, D, H, W) 的输入（InstanceNorm1d/2d/3d），"
            f"实际是形状为 {list(x.shape)} 的 {x.ndim}D 输入{hint_zh}（PyTorch InstanceNorm1d 报错："
            f"expected {want[2]} input (got {x.ndim}D input)）",
        )
    training = nz.flag("training", a["training"])
    affine = nz.flag("affine", a["affine"])
    track = nz.flag("track_running_stats", a["track_running_stats"])
    eps = nz.eps_arg(a["eps"])
    momentum = nz.momentum_arg(a["momentum"])
    nbt = nz.integer("num_batches_tracked", a["num_batches_tracked"], 0)
    dt = x.dtype
    N, C = x.shape[:2]
    gamma = nz.param_arg("gamma", a["gamma"], (C,), dt, 1.0, affine, "affine", "channel")
    beta = nz.param_arg("beta", a["beta"], (C,), dt, 0.0, affine, "affine", "channel")
    rm = nz.param_arg("running_mean", a["running_mean"], (C,), dt, 0.0, track, "track_running_stats", "channel")
    rv = nz.param_arg("running_var", a["running_var"], (C,), dt, 1.0, track, "track_running_stats", "channel")
    if rv is not None and (rv < 0).any():
        raise ArgumentError(
            "running_var must be >= 0 (it is a variance); check the values you pasted",
            "running_var 必须 >= 0（它是方差）；请检查粘贴的数值",
        )
    dy = None if grad_output is None else grad_output_array(grad_output, x)

    names = CF_NAMES[x.ndim]
    spatial = names[2:]
    S = math.prod(x.shape[2:])
    grouping = Grouping(x.shape, (N, C), ((0, 1), (1, 1)) + (None,) * len(spatial))
    axes = "(" + ", ".join(spatial) + ")"
    notation = nz.Notation(
        names=names,
        elem="".join(n.lower() for n in names),
        stat="nc",
        over=",".join(n.lower() for n in spatial),
        param="c",
        param_over=",".join(["n", *(n.lower() for n in spatial)]),
        axes=Text(axes, axes),
        per=Text("(sample, channel)", "(样本, 通道)"),
        param_axes=Text("(" + ", ".join(["N", *spatial]) + ")", "(" + ", ".join(["N", *spatial]) + ")"),
    )
    sizes = " · ".join(map(str, x.shape[2:]))
    text = Text(
        f"Statistics are taken over the spatial axes {axes} only: each channel of each sample is its own "
        f"group, m = {sizes} = {S} values, N · C = {N * C} groups (GroupNorm with G = C).",
        f"只在空间维度 {axes} 上求统计量:每个样本的每个通道各成一组,m = {sizes} = {S} 个数,共 N · C "
        f"= {N * C} 组(即 G = C 的 GroupNorm)。",
    )
    idx = ",".join(n.lower() for n in names)
    plan = nz.Plan(grouping, (1, N * C, S), (N, C, S), (C,), notation, text, f"g({idx}) = (n, c)")
    use_batch = training or not track
    fixed = None
    if not use_batch:
        assert rm is not None and rv is not None
        fixed = (
            np.tile(rm, N),
            np.tile(rv, N),
        )  # (C,) -> (N*C,): every sample uses the channel's running value
    res = nz.run(
        x,
        plan,
        eps=eps,
        gamma=gamma,
        beta=beta,
        fixed=fixed,
        grad_output=dy,
        unbiased_update=training and track,
    )

    steps = res.forward
    running = None
    if track:
        assert rm is not None and rv is not None
        new_mean, new_var = rm, rv
        if training:
            factor = 0.0 if momentum is None else momentum
            mtext = (
                Text(f"f = momentum = {momentum:g}", f"f = momentum = {momentum:g}")
                if momentum is not None
                else Text(
                    "f = 0: with momentum=null PyTorch's InstanceNorm passes momentum 0, so nothing changes",
                    "f = 0:momentum 为 null 时 PyTorch 的 InstanceNorm 传入 0,所以数值不变",
                )
            )
            new_mean, new_var, run_steps = nz.running_update(
                rm, rv, res.stats["mean"], res.stats["var"], S, factor, notation, mtext, batch_axis=True
            )
            steps = steps + run_steps
        running = {"mean": new_mean, "var": new_var, "num_batches_tracked": nbt}

    warnings = []
    if use_batch and S == 1:
        warnings.append(
            Warning_(
                "one_spatial_element",
                Text(
                    "Each (sample, channel) group has a single value (m = 1), so x − μ = 0 and the output "
                    "is exactly β (0 without affine): InstanceNorm needs more than one spatial position."
                    + (
                        " The running variance is left unchanged (its unbiased update divides by m − 1 = 0)."
                        if training and track
                        else ""
                    ),
                    "每个 (样本, 通道) 组只有一个数(m = 1),所以 x − μ = 0,输出恰好等于 β(无 affine 时为 0):"
                    "InstanceNorm 需要多于一个空间位置。"
                    + ("滑动方差保持不变(它的无偏更新要除以 m − 1 = 0)。" if training and track else ""),
                ),
                torch_error="Expected more than 1 spatial element when training, got input size "
                f"torch.Size([{', '.join(map(str, x.shape))}])",
            )
        )

    module = (
        f"nn.InstanceNorm{x.ndim - 2}d({C}, eps={eps!r}, momentum={momentum!r}, affine={affine}, "
        f"track_running_stats={track}, dtype=torch.{dt.name})"
    )
    buffers = _affine_buffers(gamma, beta)
    buffers["running_mean"] = None if rm is None or np.all(rm == 0) else rm
    buffers["running_var"] = None if rv is None or np.all(rv == 1) else rv
    buffers["num_batches_tracked"] = nbt if track and nbt else None
    code = nz.torch_snippet(x, module, buffers, training, dy)
    return Trace(
        layer="instance_norm",
        dtype=dt.name,
        shape=x.shape,
        grouping=grouping,
        steps=steps + res.backward,
        output=res.output,
        stats=res.stats,
        params={
            "training": training,
            "eps": eps,
            "momentum": momentum,
            "affine": affine,
            "track_running_stats": track,
            "num_batches_tracked": nbt,
        },
        param_counts={"learnable": 2 * C if affine else 0, "buffers": 2 * C + 1 if track else 0},
        torch_code=code,
        parameters={"gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv},
        running=running,
        grads=res.grads,
        warnings=warnings,
    )


def _affine_buffers(gamma: np.ndarray | None, beta: np.ndarray | None) -> dict[str, np.ndarray | int | None]:
    """weight and bias for the snippet, left out when they hold the module's initial values."""
    return {
        "weight": None if gamma is None or np.all(gamma == 1) else gamma,
        "bias": None if beta is None or np.all(beta == 0) else beta,
    }


def _one_value_warning(m: int) -> list[Warning_]:
    if m > 1:
        return []
    return [
        Warning_(
            "one_value_per_group",
            Text(
                "Each group has a single value (m = 1), so x − μ = 0 and the output is exactly β: "
                "normalizing one number leaves nothing.",
                "每组只有一个数(m = 1),所以 x − μ = 0,输出恰好等于 β:对单个数做标准化什么也不剩。",
            ),
        )
    ]


def _divisors(c: int) -> list[int]:
    return [d for d in range(1, c + 1) if c % d == 0]


def _normalized_shape(value: Any, x: np.ndarray) -> tuple[int, ...]:
    if value is None:
        return (x.shape[-1],)
    items = [value] if isinstance(value, int | np.integer) and not isinstance(value, bool) else value
    if not isinstance(items, list | tuple) or not all(
        isinstance(d, int | np.integer) and not isinstance(d, bool) and d > 0 for d in items
    ):
        raise ArgumentError(
            f"normalized_shape must be a list of positive integers such as [4], got {value!r}",
            f"normalized_shape 必须是正整数列表，例如 [4]，实际为 {value!r}",
        )
    shape = tuple(int(d) for d in items)
    if not shape:
        raise ArgumentError(
            f"normalized_shape must name at least one axis, e.g. [{x.shape[-1]}]",
            f"normalized_shape 至少要指定一个轴，例如 [{x.shape[-1]}]",
        )
    ns = ", ".join(map(str, shape))
    if len(shape) > x.ndim or x.shape[x.ndim - len(shape) :] != shape:
        fit = list(x.shape[-len(shape) :]) if len(shape) <= x.ndim else list(x.shape)
        raise ArgumentError(
            f"normalized_shape [{ns}] must equal the input's last {len(shape)} axes; use {fit} for input "
            f"shape {list(x.shape)} (PyTorch: Given normalized_shape=[{ns}], expected input with shape [*,"
            f" {ns}], but got input of size{list(x.shape)})",
            f"normalized_shape [{ns}] 必须等于 input 的最后 {len(shape)} 个轴；input 形状为 {list(x.shape)} 时请用 "
            f"{fit}（PyTorch 报错：Given normalized_shape=[{ns}], expected input with shape [*, {ns}], but got "
            f"input of size{list(x.shape)}）",
        )
    return shape


LAYERS = {
    "layer_norm": (LAYER_NORM_SPEC, layer_norm),
    "group_norm": (GROUP_NORM_SPEC, group_norm),
    "instance_norm": (INSTANCE_NORM_SPEC, instance_norm),
}
