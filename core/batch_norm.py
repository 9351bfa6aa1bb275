"""BatchNorm (nn.BatchNorm1d/2d/3d): one mean and variance per channel, over the batch and every spatial axis.

    >>> t = batch_norm(np.arange(8, dtype=np.float32).reshape(4, 2))  # (N, C) = (4, 2)
    >>> t.stats["mean"], t.running["num_batches_tracked"]
    (array([3., 4.], dtype=float32), 1)

On (N, C, H, W) the statistics reduce (N, H, W): mean and var have shape (C,), m = N*H*W. Training normalizes
with the batch statistics (biased variance) and updates the running ones (unbiased variance); evaluation
normalizes with the running ones. `layout="channels_last"` takes Keras-style (N, ..., C) input. The steps come
from core.normalize; this module only says how BatchNorm groups x and what its arguments mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from normlens import normalize as nz
from normlens.checks import ArgumentError, grad_output_array, input_array, resolve
from normlens.spec import LayerSpec, Param
from normlens.trace import Grouping, Text, Trace, Warning_

NAMES = {2: ("N", "C"), 3: ("N", "C", "L"), 4: ("N", "C", "H", "W"), 5: ("N", "C", "D", "H", "W")}
TORCH_CLASS = {2: "nn.BatchNorm1d", 3: "nn.BatchNorm1d", 4: "nn.BatchNorm2d", 5: "nn.BatchNorm3d"}

SPEC = LayerSpec(
    name="batch_norm",
    title=Text("BatchNorm", "批归一化 BatchNorm"),
    description=Text(
        "Normalizes each channel with the mean and variance of the current batch, taken over the batch and "
        "all spatial positions (m = N·H·W values per channel), then applies a learned scale γ and shift β. "
        "In evaluation it uses running averages collected during training instead, so its output depends on "
        "the batch only in training, which is why tiny batches hurt and why forgetting model.eval() changes "
        "results.",
        "对每个通道,用当前 batch 在批维度和所有空间位置上(每通道 m = N·H·W 个数)的均值和方差做标准化,再乘以"
        "可学习的缩放 γ、加上偏移 β。推理时改用训练中累积的滑动平均,所以只有训练时输出才依赖 batch:这就是 "
        "batch 太小效果变差、忘记 model.eval() 会改变结果的原因。",
    ),
    torch_classes=("nn.BatchNorm1d", "nn.BatchNorm2d", "nn.BatchNorm3d"),
    input_ranks=(2, 3, 4, 5),
    input_layout=Text(
        "(N, C), (N, C, L), (N, C, H, W), (N, C, D, H, W); channels_last: (N, L, C), (N, H, W, C), (N, D, H, W, C)",
        "(N, C)、(N, C, L)、(N, C, H, W)、(N, C, D, H, W);channels_last 时为 (N, L, C)、(N, H, W, C)、(N, D, H, W, C)",
    ),
    params=(
        Param(
            "training",
            "bool",
            True,
            Text(
                "Training mode (module.train()): normalize with this batch's statistics and update the "
                "running ones. False is module.eval(): normalize with the running statistics.",
                "训练模式(module.train()):用本批统计量归一化并更新滑动统计量。false 即 module.eval():用滑动"
                "统计量归一化。",
            ),
        ),
        Param(
            "eps",
            "float",
            1e-5,
            Text(
                "Added to the variance before the square root, so a constant channel does not divide by zero.",
                "开方前加到方差上,避免常数通道除以零。",
            ),
            minimum=0,
            exclusive_minimum=True,
        ),
        Param(
            "momentum",
            "float_or_null",
            0.1,
            Text(
                "Weight of the new batch in the running statistics: running = (1 − momentum)·running + "
                "momentum·batch. null: a plain average of all batches so far (factor 1/num_batches_tracked)"
                ". Keras' momentum 0.99 is PyTorch's 0.01.",
                "新 batch 在滑动统计量中的权重:running = (1 − momentum)·running + momentum·batch。null 表示"
                "对至今所有 batch 取简单平均(系数 1/num_batches_tracked)。Keras 的 momentum 0.99 相当于 "
                "PyTorch 的 0.01。",
            ),
            minimum=0,
            maximum=1,
        ),
        Param(
            "affine",
            "bool",
            True,
            Text(
                "Learn a scale γ and shift β per channel (2C parameters).",
                "每个通道学习缩放 γ 和偏移 β(共 2C 个参数)。",
            ),
        ),
        Param(
            "track_running_stats",
            "bool",
            True,
            Text(
                "Keep running_mean, running_var and num_batches_tracked buffers. False: no buffers, and "
                "evaluation uses batch statistics too.",
                "保存 running_mean、running_var 和 num_batches_tracked 缓冲区。false:没有缓冲区,评估时也用本批统计量。",
            ),
        ),
        Param(
            "gamma",
            "float_array",
            None,
            Text(
                "The scale γ (the module's weight), one per channel; null means ones.",
                "缩放 γ(模块的 weight),每通道一个;null 表示全 1。",
            ),
            length="C",
        ),
        Param(
            "beta",
            "float_array",
            None,
            Text(
                "The shift β (the module's bias), one per channel; null means zeros.",
                "偏移 β(模块的 bias),每通道一个;null 表示全 0。",
            ),
            length="C",
        ),
        Param(
            "running_mean",
            "float_array",
            None,
            Text(
                "Running mean before this call, one per channel; null means zeros (a fresh layer).",
                "调用前的滑动均值,每通道一个;null 表示全 0(新建的层)。",
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
                "Training batches seen before this call; it goes up by one on each training call and sets "
                "the factor 1/num_batches_tracked when momentum is null.",
                "本次调用前已训练的 batch 数;每次训练调用加一,momentum 为 null 时决定系数 1/num_batches_tracked。",
            ),
            minimum=0,
        ),
        Param(
            "layout",
            "enum",
            "channels_first",
            Text(
                "Where the channel axis is: channels_first (N, C, ...) as in PyTorch, or channels_last (N, "
                "..., C) as in Keras / TensorFlow.",
                "通道维的位置:channels_first (N, C, ...)(PyTorch),或 channels_last (N, ..., C)(Keras / TensorFlow)。",
            ),
            choices=("channels_first", "channels_last"),
        ),
    ),
)


def batch_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.BatchNorm1d/2d/3d on x (float32 or float64; the computation runs in x's dtype)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by finite_result instead
        return _batch_norm(x, grad_output, params)


def _batch_norm(x: Any, grad_output: Any, params: dict[str, Any]) -> Trace:
    x = input_array(x)
    a = resolve(SPEC, params)
    training = nz.flag("training", a["training"])
    affine = nz.flag("affine", a["affine"])
    track = nz.flag("track_running_stats", a["track_running_stats"])
    layout = a["layout"]
    if layout not in ("channels_first", "channels_last"):
        raise ArgumentError(
            f"layout must be 'channels_first' or 'channels_last', got {layout!r}",
            f"layout 必须是 'channels_first' 或 'channels_last'，实际为 {layout!r}",
        )
    last = layout == "channels_last"
    if x.ndim not in NAMES:
        shape = "(N, L, C), (N, H, W, C) or (N, D, H, W, C)" if last else "(N, C, L), (N, C, H, W) or (N, C, D, H, W)"
        want = "2D or 3D" if x.ndim < 2 else "5D"  # what BatchNorm1d / BatchNorm3d would say
        raise ArgumentError(
            f"batch_norm accepts 2D to 5D input, (N, C), {shape} (BatchNorm1d/2d/3d), got {x.ndim}D input "
            f"of shape {list(x.shape)} (PyTorch: expected {want} input (got {x.ndim}D input))",
            "batch_norm 接受 2D 到 5D 的输入：(N, C)、"
            f"{shape.replace('), (', ')、(').replace(' or ', ' 或 ')}（BatchNorm1d/2d/3d），"
            f"实际是形状为 {list(x.shape)} 的 {x.ndim}D 输入"
            f"（PyTorch 报错：expected {want} input (got {x.ndim}D input)）",
        )
    # bn_training: batch statistics are used (PyTorch: training or not track_running_stats)
    use_batch = training or not track
    eps = nz.eps_arg(a["eps"], torch_message=use_batch)
    momentum = nz.momentum_arg(a["momentum"])
    nbt = nz.integer("num_batches_tracked", a["num_batches_tracked"], 0)
    dt = x.dtype
    c_axis = x.ndim - 1 if last else 1
    C = x.shape[c_axis]
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

    plan = _plan(x.shape, last)
    m = plan.grouping.group_size
    fixed = None
    if not use_batch:
        assert rm is not None and rv is not None  # eval with running statistics implies tracking them
        fixed = (rm, rv)
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

    torch_shape = (x.shape[0], C, *x.shape[1:-1]) if last else x.shape
    warnings = []
    if use_batch and m == 1:
        warnings.append(
            Warning_(
                "one_value_per_channel",
                Text(
                    "Each channel has a single value (m = 1), so x − μ = 0 and the output is exactly β: the "
                    "batch carries no information. This is why BatchNorm cannot learn with a batch of one "
                    "(d2l: after subtracting the mean every hidden unit is 0): training needs more than one "
                    "value per channel."
                    + (
                        " The running variance is left unchanged, since its unbiased update divides by m − 1 = 0."
                        if training and track
                        else ""
                    ),
                    "每个通道只有一个数(m = 1),所以 x − μ = 0,输出恰好等于 β:这个 batch 不携带任何信息。这正"
                    "是批量大小为 1 时 BatchNorm 学不到东西的原因(d2l:减去均值后每个隐藏单元都为 0):训练时每"
                    "个通道需要多于一个数。"
                    + ("滑动方差保持不变,因为它的无偏更新要除以 m − 1 = 0。" if training and track else ""),
                ),
                torch_error="Expected more than 1 value per channel when training, got input size "
                f"torch.Size([{', '.join(map(str, torch_shape))}])",
            )
        )

    steps = res.forward
    running = None
    if track:
        assert rm is not None and rv is not None
        new_nbt = nbt
        new_mean, new_var = rm, rv
        if training:
            new_nbt = nbt + 1
            factor = momentum if momentum is not None else 1 / new_nbt
            mtext = (
                Text(f"f = momentum = {momentum:g}", f"f = momentum = {momentum:g}")
                if momentum is not None
                else Text(
                    f"f = 1/num_batches_tracked = 1/{new_nbt} (momentum=null: a plain average of all batches)",
                    f"f = 1/num_batches_tracked = 1/{new_nbt}(momentum=null:对所有 batch 取简单平均)",
                )
            )
            new_mean, new_var, run_steps = nz.running_update(
                rm, rv, res.stats["mean"], res.stats["var"], m, factor, plan.notation, mtext
            )
            steps = steps + run_steps
        running = {"mean": new_mean, "var": new_var, "num_batches_tracked": new_nbt}

    cls = TORCH_CLASS[x.ndim]
    module = (
        f"{cls}({C}, eps={eps!r}, momentum={momentum!r}, affine={affine}, track_running_stats={track}, "
        f"dtype=torch.{dt.name})"
    )
    perm_in = perm_out = ""
    if last and x.ndim > 2:
        r = x.ndim
        perm_in = f".permute(0, {r - 1}, {', '.join(map(str, range(1, r - 1)))})"
        perm_out = f".permute(0, {', '.join(map(str, range(2, r)))}, 1)"
    code = nz.torch_snippet(
        x,
        module,
        {
            "weight": None if gamma is None or np.all(gamma == 1) else gamma,
            "bias": None if beta is None or np.all(beta == 0) else beta,
            "running_mean": None if rm is None or np.all(rm == 0) else rm,
            "running_var": None if rv is None or np.all(rv == 1) else rv,
            "num_batches_tracked": nbt if track and nbt else None,
        },
        training,
        dy,
        perm_in,
        perm_out,
    )
    learn = 2 * C if affine else 0
    return Trace(
        layer="batch_norm",
        dtype=dt.name,
        shape=x.shape,
        grouping=plan.grouping,
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
            "layout": layout,
        },
        param_counts={"learnable": learn, "buffers": 2 * C + 1 if track else 0},
        torch_code=code,
        parameters={"gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv},
        running=running,
        grads=res.grads,
        warnings=warnings,
    )


def _plan(shape: tuple[int, ...], last: bool) -> nz.Plan:
    """BatchNorm's grouping: every axis but the channel axis is reduced."""
    rank = len(shape)
    names = NAMES[rank]
    if last:
        names = (names[0], *names[2:], names[1])
    c_axis = rank - 1 if last else 1
    C = shape[c_axis]
    reduced = [n for n in names if n != "C"]
    letters = [n.lower() for n in reduced]
    axis_map = tuple((0, 1) if i == c_axis else None for i in range(rank))
    grouping = Grouping(tuple(shape), (C,), axis_map)
    m = grouping.group_size
    # channels last: (N, *S, C) -> (N*S, C, 1); channels first: (N, C, *S) -> (N, C, S)
    view = (m, C, 1) if last else (shape[0], C, m // shape[0])
    axes = "(" + ", ".join(reduced) + ")"
    sizes = " · ".join(str(shape[i]) for i in range(rank) if i != c_axis)
    notation = nz.Notation(
        names=names,
        elem="".join(n.lower() for n in names),
        stat="c",
        over=",".join(letters),
        param="c",
        param_over=",".join(letters),
        axes=Text(axes, axes),
        per=Text("channel", "通道"),
        param_axes=Text(axes, axes),
    )
    text = Text(
        f"Statistics are taken over {axes}: all values of one channel share one mean and one variance, m "
        f"= {' · '.join(reduced)} = {sizes} = {m} values each, {C} channels. Colors show the channel.",
        f"在 {axes} 上求统计量:同一通道的所有数值共用一个均值和一个方差,每组 m = {' · '.join(reduced)} "
        f"= {sizes} = {m} 个数,共 {C} 个通道。颜色表示通道。",
    )
    idx = ",".join(n.lower() for n in names)
    return nz.Plan(grouping, view, view, (C,), notation, text, f"g({idx}) = c")


LAYERS = {"batch_norm": (SPEC, batch_norm)}
