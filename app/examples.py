"""The examples gallery: each card is a saved view that answers a question from the interview notes.

An example is data: a slug (its URL is /examples/{slug}), a title, the question it answers, a short
explanation (each in English and Chinese) and the `ViewState` it opens, including the step to show:

    >>> example("bn-worked-example").state().input_shape()
    (2, 2, 2, 2)

The questions come from the seed notes (BN/LN/Dropout interview notes); `source` names the note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from normlens.app.state import ViewState


@dataclass(frozen=True)
class Words:
    """One sentence in English and Simplified Chinese."""

    en: str
    zh: str

    def __getitem__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class Example:
    slug: str
    title: Words
    question: Words
    explanation: Words
    data: dict[str, Any]  # the ViewState as JSON, validated on first use
    source: str = ""  # the seed note the question comes from
    tags: tuple[str, ...] = field(default=())

    def state(self) -> ViewState:
        return self._state

    @cached_property
    def _state(self) -> ViewState:
        return ViewState.model_validate(self.data)

    @property
    def url(self) -> str:
        return f"/examples/{self.slug}"

    def card(self) -> dict[str, Any]:
        """What a gallery card shows, in both languages (the page switches language without a reload)."""
        return {
            "slug": self.slug,
            "url": self.url,
            "layer": self.data["layer"],
            "tags": list(self.tags),
            "title": self.title.to_dict(),
            "question": self.question.to_dict(),
            "explanation": self.explanation.to_dict(),
        }


# The two sentences of the notes as (batch, tokens, features) embeddings; LayerNorm and BatchNorm
# see the same tensor.
SENTENCES = {"random": {"shape": [2, 5, 4], "seed": 7}}
# A small BatchNorm1d batch for train vs eval: 4 samples of 3 features, drawn around 5 with std 2.
RUNNING_BATCH = {"random": {"shape": [4, 3], "seed": 3, "mean": 5.0, "std": 2.0}}
RUNNING_PRIOR = {"running_mean": [4.8, 5.1, 5.3], "running_var": [3.6, 4.2, 3.9], "num_batches_tracked": 20}
ONES_2x8 = {"values": [[1.0] * 8, [1.0] * 8]}

EXAMPLES: tuple[Example, ...] = (
    Example(
        "bn-worked-example",
        Words("BatchNorm step by step: the worked example", "BatchNorm 逐步演算:笔记里的例题"),
        Words("How does a BN layer compute its output?", "BN 层的计算过程是怎样的?"),
        Words(
            "A batch of two samples, each with two channels of 2×2 values. BatchNorm2d takes one mean and "
            "one variance per channel over that channel's 2 × 2 × 2 = 8 values, normalizes, then scales by "
            "gamma = (2, 5) and shifts by beta = (3, 8), as in the notes: channel 1 ends with mean 3 and "
            "standard deviation about 2, channel 2 with mean 8 and about 5.",
            "一个 batch 含 2 个样本,每个样本 2 个通道,每个通道 2×2 个值。BatchNorm2d 对每个通道的 2 × 2 × 2 "
            "= 8 个值求一个均值和一个方差,标准化后乘以 gamma = (2, 5)、加上 beta = (3, 8),与笔记一致:第 1 "
            "个通道的输出均值为 3、标准差约为 2,第 2 个通道均值为 8、标准差约为 5。",
        ),
        {
            "layer": "batch_norm",
            "input": {"values": [[[[1, 2], [3, 4]], [[2, 0], [1, 1]]], [[[5, 6], [7, 8]], [[0, 3], [2, 2]]]]},
            "params": {"gamma": [2, 5], "beta": [3, 8]},
            "view": {"step": "mean", "group": 0},
        },
        source="001",
        tags=("BatchNorm2d",),
    ),
    Example(
        "bn2d-channel-statistics",
        Words(
            "BatchNorm2d: one mean per channel over (N, H, W)",
            "BatchNorm2d:每个通道在 (N, H, W) 上求一个均值",
        ),
        Words(
            "Over which dimensions does BN compute its mean and variance?",
            "BN 中均值、方差通过哪些维度计算得到?",
        ),
        Words(
            "Input [batch, channel, h, w] = (10, 3, 4, 4). Each of the 3 channels gets one mean: the sum of "
            "its 10 × 4 × 4 = 160 values divided by batch × h × w, not by the batch size alone. So the mean "
            "and the variance have shape (3,), and gamma and beta have 3 values each, one per channel.",
            "输入 [batchsize, channel, h, w] = (10, 3, 4, 4)。3 个通道各得到一个均值:该通道 10 × 4 × 4 = 160 "
            "个值之和除以 batchsize × h × w,而不是只除以 batchsize。所以均值和方差的形状是 (3,),gamma 和 "
            "beta 也各有 3 个值,每个通道一个。",
        ),
        {
            "layer": "batch_norm",
            "input": {"random": {"shape": [10, 3, 4, 4], "seed": 0, "mean": 2.0, "std": 1.5}},
            "view": {"step": "mean", "group": 1},
        },
        source="000",
        tags=("BatchNorm2d",),
    ),
    Example(
        "bn1d-feature-columns",
        Words("BatchNorm1d normalizes each feature column", "BatchNorm1d 按列归一化每个特征"),
        Words(
            "How does BatchNorm1d normalize an input of shape (m, c)?",
            "BatchNorm1d 如何归一化形状为 (m, c) 的输入?",
        ),
        Words(
            "Six people with three features each: height (cm), weight (kg) and age (years). BatchNorm1d on "
            "(N, C) = (6, 3) normalizes each column on its own: every feature gets its own mean and variance "
            "over the 6 people, so centimetres and years end up on the same scale (mean 0, variance 1) while "
            "the order of the people within a column is kept.",
            "6 个人,每人 3 个特征:身高(cm)、体重(kg)、年龄(岁)。BatchNorm1d 对 (N, C) = (6, 3) "
            "按列分别归一化:每个特征在 6 个人上求自己的均值和方差,"
            "于是以厘米计的身高和以岁计的年龄被统一到同一尺度(均值 0、方差 1),"
            "而同一列中各人的大小顺序保持不变。",
        ),
        {
            "layer": "batch_norm",
            "input": {
                "values": [
                    [170, 65, 25],
                    [160, 52, 31],
                    [182, 80, 40],
                    [175, 70, 22],
                    [158, 48, 35],
                    [168, 60, 28],
                ]
            },
            "view": {"step": "normalized", "group": 0},
        },
        source="002",
        tags=("BatchNorm1d",),
    ),
    Example(
        "ln-two-sentences",
        Words("LayerNorm on two sentences: one mean per token", "LayerNorm 作用于两句话:每个字一个均值"),
        Words("What does LayerNorm normalize in a Transformer?", "Transformer 中的 LN 是什么样子的?"),
        Words(
            "The notes' two sentences, 我爱吃炸鸡 and 今天很开心, as a (2, 5, 4) tensor: 2 sentences, 5 "
            "characters, a 4-dimensional embedding per character. LayerNorm([4]) normalizes each "
            "character's own 4 values: 2 × 5 = 10 means and variances, one per character, never mixing "
            "sentences. It works the same for a batch of one and at test time.",
            "笔记中的两句话「我爱吃炸鸡」和「今天很开心」表示为 (2, 5, 4) 的张量:2 句话,每句 5 个字,"
            "每个字一个 4 维向量。LayerNorm([4]) 只对每个字自己的 4 个值做归一化:共 2 × 5 = 10 个均值和方差,"
            "每个字一个,不会把不同句子混在一起;batch 为 1 或在推理时也完全一样。",
        ),
        {
            "layer": "layer_norm",
            "input": SENTENCES,
            "params": {"normalized_shape": [4]},
            "view": {"step": "mean", "group": 0},
        },
        source="000",
        tags=("LayerNorm", "NLP"),
    ),
    Example(
        "bn-two-sentences",
        Words(
            "BatchNorm on the same sentences mixes 我 with 今",
            "同样两句话用 BatchNorm:「我」和「今」被混在一起",
        ),
        Words("Why do Transformers use LN instead of BN?", "Transformer 中为什么要舍弃 BN 改用 LN?"),
        Words(
            "The same (2, 5, 4) tensor fed to BatchNorm1d, which reads it as (N, C, L): the 5 character "
            "positions become channels, and each position is averaged over both sentences and all 4 "
            "features. Position 0 mixes 我 with 今, position 1 mixes 爱 with 天: statistics of unrelated "
            "characters, which also change with whatever else is in the batch. That is why NLP models use "
            "LayerNorm.",
            "把同一个 (2, 5, 4) 张量交给 BatchNorm1d,它把输入看作 (N, C, L):5 个字的位置成了通道,"
            "每个位置在两句话和全部 4 个特征上求统计量。位置 0 把「我」和「今」混在一起,位置 1 "
            "把「爱」和「天」混在一起:这些字彼此无关,统计量没有意义,还会随 batch 里的其他句子而变。所以 NLP "
            "模型用 LayerNorm。",
        ),
        {"layer": "batch_norm", "input": SENTENCES, "view": {"step": "mean", "group": 0}},
        source="000",
        tags=("BatchNorm1d", "NLP"),
    ),
    Example(
        "ln-image-chw",
        Words("LayerNorm over [C, H, W]: 2·C·H·W parameters", "对 [C, H, W] 做 LayerNorm:2·C·H·W 个参数"),
        Words("How many learnable parameters does LN have on images?", "图像数据上 LN 有多少可学习参数?"),
        Words(
            "LayerNorm([C, H, W]) on a batch of images (N, C, H, W) = (2, 3, 4, 4): one mean and one "
            "variance per image over all 3 × 4 × 4 = 48 values, while gamma and beta have the full shape (3, "
            "4, 4), so 2 × C × H × W = 96 learnable parameters, against 2C = 6 for BatchNorm2d on the same "
            "input.",
            "对一批图像 (N, C, H, W) = (2, 3, 4, 4) 做 LayerNorm([C, H, W]):每张图在全部 3 × 4 × 4 = 48 "
            "个值上求一个均值和一个方差;gamma 和 beta 的形状是完整的 (3, 4, 4),所以可学习参数为 2 × C × H × "
            "W = 96 个,而同样输入上的 BatchNorm2d 只有 2C = 6 个。",
        ),
        {
            "layer": "layer_norm",
            "input": {"random": {"shape": [2, 3, 4, 4], "seed": 4}},
            "params": {"normalized_shape": [3, 4, 4]},
            "view": {"step": "mean", "group": 0},
        },
        source="003",
        tags=("LayerNorm", "CV"),
    ),
    Example(
        "bn-train-running-stats",
        Words("Training: batch statistics, running statistics updated", "训练:用本批统计量,并更新滑动统计量"),
        Words(
            "Which mean and variance does BN use in training, and which at inference?",
            "训练与推理时 BN 中的均值、方差分别是什么?",
        ),
        Words(
            "In training, BatchNorm normalizes with this batch's mean and biased variance, then updates the "
            "running statistics: running = 0.9 × running + 0.1 × batch, with the unbiased variance. The "
            "running values estimate the whole training set; evaluation uses them (see the next example).",
            "训练时 BatchNorm 用本 batch 的均值和有偏方差做归一化,再更新滑动统计量:running = 0.9 × running + "
            "0.1 × batch,其中方差用无偏估计。滑动值估计的是整个训练集的统计量,"
            "推理时使用的正是它们(见下一个例子)。",
        ),
        {
            "layer": "batch_norm",
            "input": RUNNING_BATCH,
            "params": {"training": True, **RUNNING_PRIOR},
            "view": {"step": "running_mean", "group": 0},
        },
        source="000",
        tags=("BatchNorm1d", "running stats"),
    ),
    Example(
        "bn-eval-running-stats",
        Words("Evaluation: normalize with the running statistics", "推理:用滑动统计量归一化"),
        Words("Why does BN use fixed statistics at test time?", "测试阶段的 BN 为什么使用固定的均值和方差?"),
        Words(
            "The same batch in evaluation mode (module.eval()): BatchNorm ignores the batch's own "
            "statistics and normalizes with running_mean and running_var from training. A sample's output "
            "no longer depends on which other samples share its batch, and a batch of one works; this "
            "batch's output is no longer exactly mean 0, variance 1.",
            "同一个 batch 在评估模式(module.eval())下:BatchNorm 不再使用本 batch 的统计量,而是用训练时得到的 "
            "running_mean 和 running_var 归一化。一个样本的输出不再取决于同一 batch 里的其他样本,batch 为 1 "
            "也能工作;这个 batch 的输出也就不再恰好是均值 0、方差 1。",
        ),
        {
            "layer": "batch_norm",
            "input": RUNNING_BATCH,
            "params": {"training": False, **RUNNING_PRIOR},
            "view": {"step": "normalized", "group": 0},
        },
        source="001",
        tags=("BatchNorm1d", "running stats"),
    ),
    Example(
        "bn-batch-of-one",
        Words("A batch of one: the output collapses to beta", "batch 为 1:输出坍缩成 beta"),
        Words(
            "Why can batch normalization learn nothing with a mini-batch of size 1?",
            "为什么批量大小为 1 时批量归一化学不到任何东西?",
        ),
        Words(
            "BatchNorm1d in training on a batch of one sample, (1, 4): each channel's mean is the value "
            "itself, so x − mean is 0 everywhere and the output is beta whatever the input. PyTorch refuses "
            "it: ValueError: Expected more than 1 value per channel when training, got input size "
            "torch.Size([1, 4]).",
            "训练模式下对只有一个样本的 batch (1, 4) 做 BatchNorm1d:每个通道的均值就是这个值本身,x − "
            "均值处处为 0,所以无论输入是什么,输出都等于 beta。PyTorch 直接拒绝:ValueError: Expected more "
            "than 1 value per channel when training, got input size torch.Size([1, 4])。",
        ),
        {
            "layer": "batch_norm",
            "input": {"values": [[0.3, -1.2, 2.5, 0.7]]},
            "params": {"beta": [0.5, -1.0, 2.0, 0.0]},
            "view": {"step": "output", "group": 0},
        },
        source="004",
        tags=("BatchNorm1d",),
    ),
    Example(
        "bn-restore-identity",
        Words("gamma = std, beta = mean gives the input back", "gamma = 标准差、beta = 均值:还原出输入"),
        Words(
            "Why do BN and LN scale and shift again after normalizing?",
            "为什么 BN、LN 标准化后要进行参数还原?",
        ),
        Words(
            "Normalizing forces every channel to mean 0 and variance 1, which may not be what the next "
            "layer needs. gamma and beta can undo it: here gamma is each channel's standard deviation (2, 5)"
            " and beta its mean (4, 15), and the output equals the input again (up to eps). Normalization "
            "costs no expressive power; the network learns how much of it to keep.",
            "标准化把每个通道都强制变为均值 0、方差 1,这未必是下一层需要的。gamma 和 beta 可以把它撤销:这里 "
            "gamma 取各通道的标准差 (2, 5),beta 取均值 (4, 15),输出就重新等于输入(误差只来自 eps)。"
            "所以标准化不损失表达能力,保留多少由网络自己学习。",
        ),
        {
            "layer": "batch_norm",
            "input": {"values": [[2, 10], [6, 20], [2, 10], [6, 20]]},
            "params": {"gamma": [2, 5], "beta": [4, 15], "eps": 1e-12},
            "dtype": "float64",
            "view": {"step": "output", "group": 1},
        },
        source="000",
        tags=("BatchNorm1d",),
    ),
    Example(
        "dropout-train",
        Words("Dropout p = 0.5: drop half, scale the rest by 2", "Dropout p = 0.5:丢一半,其余乘 2"),
        Words(
            "How does dropout balance training and testing?",
            "Dropout 如何平衡训练和测试时的差异?",
        ),
        Words(
            "Dropout(p = 0.5) in training on a (2, 8) tensor of ones: each value is dropped with probability "
            "0.5 and the kept ones are multiplied by 1/(1 − p) = 2. Half the values become 2 and half 0 on "
            "average, so the expected output is still 1, the same as at test time when dropout does nothing.",
            "训练模式下对全 1 的 (2, 8) 张量做 Dropout(p = 0.5):每个值以 0.5 的概率被丢弃,保留的值乘以 1/(1 "
            "− p) = 2。平均一半的值变成 2、一半变成 0,所以输出的期望仍是 1,与测试时(dropout 不起作用)相同。",
        ),
        {
            "layer": "dropout",
            "input": ONES_2x8,
            "params": {"p": 0.5, "training": True, "seed": 0},
            "view": {"step": "output"},
        },
        source="000",
        tags=("Dropout",),
    ),
    Example(
        "dropout-eval",
        Words("Dropout at test time: the identity", "测试时的 Dropout:恒等映射"),
        Words("Is dropout needed at both training and test time?", "Dropout 在训练和测试时都需要吗?"),
        Words(
            "The same Dropout(p = 0.5) in evaluation mode (model.eval()) returns its input unchanged: no "
            "mask, no scaling. The 1/(1 − p) applied in training already made the expectations match, so "
            "the whole trained network is used as it is.",
            "同样的 Dropout(p = 0.5) 在评估模式(model.eval())下原样返回输入:没有掩码,也没有缩放。"
            "训练时乘上的 1/(1 − p) 已经让期望一致,所以测试时直接使用完整的训练好的网络。",
        ),
        {
            "layer": "dropout",
            "input": ONES_2x8,
            "params": {"p": 0.5, "training": False},
            "view": {"step": "output"},
        },
        source="000",
        tags=("Dropout",),
    ),
    Example(
        "groupnorm-between-ln-and-in",
        Words(
            "GroupNorm: between LayerNorm (G = 1) and InstanceNorm (G = C)",
            "GroupNorm:介于 LayerNorm(G = 1)与 InstanceNorm(G = C)之间",
        ),
        Words(
            "BN and LN differ only in the axes they average over: what lies between?",
            "BN 和 LN 只是求统计量的维度不同,两者之间还有什么?",
        ),
        Words(
            "GroupNorm(2, 4) on (N, C, H, W) = (2, 4, 2, 2) splits each sample's 4 channels into 2 groups "
            "of 2 and normalizes each (sample, group) over 2 × 2 × 2 = 8 values. With num_groups = 1 it is "
            "LayerNorm over (C, H, W); with num_groups = C = 4 it is InstanceNorm. Like LayerNorm it never "
            "mixes samples, so any batch size works.",
            "GroupNorm(2, 4) 作用于 (N, C, H, W) = (2, 4, 2, 2):把每个样本的 4 个通道分成 2 组、每组 2 "
            "个通道,对每个(样本, 组)在 2 × 2 × 2 = 8 个值上归一化。num_groups = 1 时它就是对 (C, H, W) 的 "
            "LayerNorm;num_groups = C = 4 时就是 InstanceNorm。和 LayerNorm 一样它从不混合样本,所以任何 "
            "batch 大小都可以。",
        ),
        {
            "layer": "group_norm",
            "input": {"random": {"shape": [2, 4, 2, 2], "seed": 5}},
            "params": {"num_groups": 2},
            "view": {"step": "mean", "group": 0},
        },
        source="003",
        tags=("GroupNorm",),
    ),
    Example(
        "rmsnorm-llm",
        Words("RMSNorm as large language models use it", "大语言模型中的 RMSNorm"),
        Words(
            "What do today's Transformers (LLMs) use in place of LayerNorm?",
            "如今的 Transformer(大语言模型)用什么代替 LayerNorm?",
        ),
        Words(
            "One sequence of 4 tokens with 8 hidden features, as in a LLaMA-style model: RMSNorm([8], eps = "
            "1e-6) divides each token's vector by its root mean square sqrt(mean(x²) + eps) and multiplies "
            "by a gain gamma. Unlike LayerNorm it subtracts no mean and has no beta: one reduction instead "
            "of two, and it trains as well.",
            "一条 4 个 token、每个 8 维隐藏特征的序列,与 LLaMA 类模型相同:RMSNorm([8], eps = 1e-6) 把每个 "
            "token 的向量除以它的均方根 sqrt(mean(x²) + eps),再乘以增益 gamma。与 LayerNorm 不同,它不减均值、"
            "没有 beta:只需一次归约而不是两次,训练效果相当。",
        ),
        {
            "layer": "rms_norm",
            "input": {"random": {"shape": [1, 4, 8], "seed": 11}},
            "params": {"normalized_shape": [8], "eps": 1e-6},
            "view": {"step": "rms", "group": 0},
        },
        source="000",
        tags=("RMSNorm", "LLM"),
    ),
    Example(
        "bn-parameter-count",
        Words(
            "BatchNorm's parameters: 2C learnable, 4C + 1 saved",
            "BatchNorm 的参数:2C 个可学习,state dict 共 4C + 1",
        ),
        Words(
            "How many parameters, and how many learnable ones, does a BN layer have?",
            "BN 中的参数量与可学习参数量是多少?",
        ),
        Words(
            "BatchNorm2d(3) has 2C = 6 learnable parameters (weight gamma and bias beta, one per channel) "
            "and buffers that are saved but not learned: running_mean and running_var (C values each) and "
            "num_batches_tracked (one number). Its state dict holds 4C + 1 = 13 values, one more than the "
            "notes' 4C.",
            "BatchNorm2d(3) 有 2C = 6 个可学习参数(weight 即 gamma、bias 即 beta,每个通道各一个),"
            "另有会被保存但不参与学习的缓冲区:running_mean 和 running_var(各 C 个值)以及 "
            "num_batches_tracked(1 个数)。它的 state dict 共有 4C + 1 = 13 个值,比笔记中的 4C 多一个。",
        ),
        {
            "layer": "batch_norm",
            "input": {"random": {"shape": [4, 3, 2, 2], "seed": 2}},
            "view": {"step": "running_var", "group": 0},
        },
        source="003",
        tags=("BatchNorm2d",),
    ),
)

BY_SLUG: dict[str, Example] = {e.slug: e for e in EXAMPLES}


def example(slug: str) -> Example:
    """The example with this slug (KeyError if none)."""
    return BY_SLUG[slug]
