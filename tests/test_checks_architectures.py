"""The checks of lab 04 against right answers and the typical wrong ones."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from labutils import models
from labutils.checks import CheckFailed, NotImplementedYet
from labutils.checks.architectures import (
    check_basic_block,
    check_batch_norm,
    check_bottleneck,
    check_dense_block,
    check_resnet,
)

# The checks alone, without the guard of their registration (reference.exercise), which
# would name the workbook's own answers these tests use instead of checking them.
check_basic_block = check_basic_block.__wrapped__
check_batch_norm = check_batch_norm.__wrapped__
check_bottleneck = check_bottleneck.__wrapped__
check_dense_block = check_dense_block.__wrapped__
check_resnet = check_resnet.__wrapped__

# --------------------------------------------------------------------------- batch norm


class GoodBatchNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def stats(self, x):
        return x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False)

    def update(self, mean, var, n):
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * n / (n - 1))

    def normalise(self, x, mean, var):
        shape = (1, -1, 1, 1)
        x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        return self.weight.view(shape) * x_hat + self.bias.view(shape)

    def forward(self, x):
        if self.training:
            mean, var = self.stats(x)
            self.update(mean, var, x.numel() / x.shape[1])
        else:
            mean, var = self.running_mean, self.running_var
        return self.normalise(x, mean, var)


class UnbiasedVariance(GoodBatchNorm):
    def stats(self, x):
        return x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=True)

    def update(self, mean, var, n):
        super().update(mean, var * (n - 1) / n, n)


class EpsOutside(GoodBatchNorm):
    def normalise(self, x, mean, var):
        shape = (1, -1, 1, 1)
        x_hat = (x - mean.view(shape)) / (torch.sqrt(var.view(shape)) + self.eps)
        return self.weight.view(shape) * x_hat + self.bias.view(shape)


class NoEps(GoodBatchNorm):
    def normalise(self, x, mean, var):
        shape = (1, -1, 1, 1)
        x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape))
        return self.weight.view(shape) * x_hat + self.bias.view(shape)


class NoAffine(GoodBatchNorm):
    def normalise(self, x, mean, var):
        shape = (1, -1, 1, 1)
        return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)


class PerImage(GoodBatchNorm):
    def forward(self, x):
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = x.var(dim=(2, 3), unbiased=False, keepdim=True)
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight.view(1, -1, 1, 1) * x_hat + self.bias.view(1, -1, 1, 1)


class ReversedMomentum(GoodBatchNorm):
    def update(self, mean, var, n):
        with torch.no_grad():
            self.running_mean.mul_(self.momentum).add_((1 - self.momentum) * mean)
            self.running_var.mul_(self.momentum).add_((1 - self.momentum) * var * n / (n - 1))


class BiasedRunningVar(GoodBatchNorm):
    def update(self, mean, var, n):
        super().update(mean, var * (n - 1) / n, n)


class NoUpdate(GoodBatchNorm):
    def update(self, mean, var, n):
        pass


class GraphInRunningStats(GoodBatchNorm):
    def update(self, mean, var, n):
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
        unbiased = var * n / (n - 1)
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * unbiased


class BatchStatsInEval(GoodBatchNorm):
    def forward(self, x):
        mean, var = self.stats(x)
        if self.training:
            self.update(mean, var, x.numel() / x.shape[1])
        return self.normalise(x, mean, var)


class UpdatesInEval(GoodBatchNorm):
    def forward(self, x):
        mean, var = self.stats(x)
        self.update(mean, var, x.numel() / x.shape[1])
        if not self.training:
            mean, var = self.running_mean, self.running_var
        return self.normalise(x, mean, var)


class StatsAsParameters(GoodBatchNorm):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__(num_features, eps, momentum)
        del self.running_mean, self.running_var
        self.running_mean = nn.Parameter(torch.zeros(num_features), requires_grad=False)
        self.running_var = nn.Parameter(torch.ones(num_features), requires_grad=False)
        self.extra = nn.Parameter(torch.zeros(num_features))


class StatsAsAttributes(GoodBatchNorm):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__(num_features, eps, momentum)
        del self.running_mean, self.running_var
        self.running_mean = torch.zeros(num_features)
        self.running_var = torch.ones(num_features)


class NoParameters(GoodBatchNorm):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__(num_features, eps, momentum)
        del self.weight
        self.weight = torch.ones(num_features)


class DetachedStats(GoodBatchNorm):
    def stats(self, x):
        mean, var = super().stats(x)
        return mean.detach(), var.detach()


class Stub(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        raise NotImplementedError()


def test_batch_norm_right_answer_passes(capsys):
    check_batch_norm(GoodBatchNorm)
    assert "matches nn.BatchNorm2d to 1e-05 in training and eval mode" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "message"), [
    (UnbiasedVariance, "unbiased variance (sum / (n - 1))"),
    (EpsOutside, "eps is outside the square root"),
    (NoEps, "does not use the eps it was given (eps=0.1)"),
    (NoAffine, "without the learnable scale and shift"),
    (PerImage, "per image and channel, over (H, W) only"),
    (ReversedMomentum, "the momentum is reversed"),
    (BiasedRunningVar, "updated with the biased batch variance"),
    (NoUpdate, "running_mean did not change during a training step"),
    (GraphInRunningStats, "requires a gradient"),
    (BatchStatsInEval, "In eval mode your layer still uses the statistics of the batch"),
    (UpdatesInEval, "changed its running averages in eval mode"),
    (StatsAsParameters, "the running averages are not learned"),
    (StatsAsAttributes, "has no buffer called running_mean (it is a plain attribute)"),
    (NoParameters, "has no nn.Parameter called weight"),
    (DetachedStats, "The gradient with respect to the input"),
])
def test_batch_norm_wrong_answers_are_named(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_batch_norm(wrong)
    assert message in str(error.value)


def test_batch_norm_stub_says_not_done():
    with pytest.raises(NotImplementedYet):
        check_batch_norm(Stub)


def test_batch_norm_needs_the_class():
    with pytest.raises(CheckFailed, match="not a class"):
        check_batch_norm(GoodBatchNorm(3))


# --------------------------------------------------------------------------- blocks


class BiasedBasicBlock(models.BasicBlock):
    def __init__(self, in_channels, channels, stride=1):
        super().__init__(in_channels, channels, stride)
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=True)


class AlwaysProjectBasicBlock(models.BasicBlock):
    def __init__(self, in_channels, channels, stride=1):
        super().__init__(in_channels, channels, stride)
        self.shortcut = nn.Sequential(nn.Conv2d(in_channels, channels, 1, stride, bias=False),
                                      nn.BatchNorm2d(channels))


class NeverProjectBasicBlock(models.BasicBlock):
    def __init__(self, in_channels, channels, stride=1):
        super().__init__(in_channels, channels, stride)
        self.shortcut = nn.Identity()


class NoSkipBasicBlock(models.BasicBlock):
    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


class ReluBeforeAddBasicBlock(models.BasicBlock):
    def forward(self, x):
        out = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return out + self.shortcut(x)


class StrideOnBothBasicBlock(models.BasicBlock):
    def __init__(self, in_channels, channels, stride=1):
        super().__init__(in_channels, channels, stride)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride, 1, bias=False)


class ProjectionWithoutBatchNorm(models.BasicBlock):
    def __init__(self, in_channels, channels, stride=1):
        super().__init__(in_channels, channels, stride)
        if not isinstance(self.shortcut, nn.Identity):
            self.shortcut = nn.Conv2d(in_channels, channels, 1, stride, bias=False)


class NoExpansionBasicBlock(models.BasicBlock):
    expansion = None


class NarrowBottleneck(models.Bottleneck):
    """Forgets to widen: the last 1x1 conv keeps `channels`."""

    expansion = 4

    def __init__(self, in_channels, channels, stride=1):
        super().__init__(in_channels, channels, stride)
        self.conv3 = nn.Conv2d(channels, channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels)
        self.shortcut = models.shortcut(in_channels, channels, stride)


class Projection3x3Bottleneck(models.Bottleneck):
    def __init__(self, in_channels, channels, stride=1):
        super().__init__(in_channels, channels, stride)
        if not isinstance(self.shortcut, nn.Identity):
            out = channels * 4
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out, 3, stride, 1, bias=False),
                                          nn.BatchNorm2d(out))


def test_blocks_right_answers_pass(capsys):
    check_basic_block(models.BasicBlock)
    check_bottleneck(models.Bottleneck)
    out = capsys.readouterr().out
    assert "BasicBlock: all" in out and "Bottleneck: all" in out


@pytest.mark.parametrize(("wrong", "message"), [
    (BiasedBasicBlock, "use bias=False"),
    (AlwaysProjectBasicBlock, "its shortcut is the identity"),
    (NeverProjectBasicBlock, "the shortcut is a 1x1 convolution with that stride"),
    (NoSkipBasicBlock, "returns zeros: the input is not added back"),
    (ReluBeforeAddBasicBlock, "the ReLU comes after the addition"),
    (StrideOnBothBasicBlock, "in the order they ran: (2, 32, 4, 4), (2, 32, 2, 2)"),
    (ProjectionWithoutBatchNorm, "needs a batch norm after its 1x1 convolution"),
    (NoExpansionBasicBlock, "BasicBlock.expansion is None"),
])
def test_basic_block_wrong_answers_are_named(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_basic_block(wrong)
    assert message in str(error.value)


@pytest.mark.parametrize(("wrong", "message"), [
    (NarrowBottleneck, "the last 1x1 convolution widens to it"),
    (Projection3x3Bottleneck, "a 1x1 convolution, not a 3x3 one"),
])
def test_bottleneck_wrong_answers_are_named(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_bottleneck(wrong)
    assert message in str(error.value)


# --------------------------------------------------------------------------- networks


def imagenet_stem(in_channels: int, width: int) -> nn.Sequential:
    """The ImageNet stem of lab 04's ResNet, for the wrong ResNets below."""
    return nn.Sequential(nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False),
                         nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))


class GoodResNet(models.ResNet):
    def __init__(self, block, stage_sizes, widths=(64, 128, 256, 512), num_classes=1000,
                 in_channels=3, stem=None):
        super().__init__(block, stage_sizes, widths, num_classes, in_channels, stem)


class StrideInEveryStage(nn.Module):
    """Forgets that the first stage keeps the size (stride 2 everywhere)."""

    def __init__(self, block, stage_sizes, widths=(64, 128, 256, 512), num_classes=1000,
                 in_channels=3, stem=None):
        super().__init__()
        self.stem = stem if stem is not None else imagenet_stem(in_channels, widths[0])
        stages, channels = [], widths[0]
        for n, width in zip(stage_sizes, widths):
            blocks = []
            for b in range(n):
                blocks.append(block(channels, width, 2 if b == 0 else 1))
                channels = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(channels, num_classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


class ForgetsExpansion(StrideInEveryStage):
    """Passes `width` (not width * expansion) on as the next block's in_channels."""

    def __init__(self, block, stage_sizes, widths=(64, 128, 256, 512), num_classes=1000,
                 in_channels=3, stem=None):
        nn.Module.__init__(self)
        self.stem = stem if stem is not None else imagenet_stem(in_channels, widths[0])
        stages, channels = [], widths[0]
        for index, (n, width) in enumerate(zip(stage_sizes, widths)):
            blocks = []
            for b in range(n):
                blocks.append(block(channels, width, 2 if index > 0 and b == 0 else 1))
                channels = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(channels, num_classes))


class OneBlockShort(GoodResNet):
    def __init__(self, block, stage_sizes, *args, **kwargs):
        super().__init__(block, [n - (i == 2) for i, n in enumerate(stage_sizes)], *args,
                         **kwargs)


class FlatStages(GoodResNet):
    """Puts all blocks in one flat list, so there are no stages to compare."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stages = nn.Sequential(*[b for stage in self.stages for b in stage])


class IgnoresStem(GoodResNet):
    def __init__(self, block, stage_sizes, widths=(64, 128, 256, 512), num_classes=1000,
                 in_channels=3, stem=None):
        super().__init__(block, stage_sizes, widths, num_classes, in_channels, None)


class WideHead(GoodResNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        features = self.head[-1].in_features
        classes = self.head[-1].out_features
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(features, 256), nn.ReLU(), nn.Linear(256, classes))


class PoolInStage3(GoodResNet):
    """Same parameters as torchvision's, but stage 3 shrinks the size once more."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if len(self.stages) > 2:
            self.stages[2].append(nn.MaxPool2d(2))


def test_resnet_right_answer_passes(capsys):
    check_resnet(GoodResNet, models.BasicBlock, models.Bottleneck)
    assert "11,689,512 / 21,797,672 / 25,557,032" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "message"), [
    (StrideInEveryStage, "stage 1 (torchvision's layer1), which has 152,192"),
    (ForgetsExpansion, "the difference is in stage 1 (torchvision's layer1)"),
    (OneBlockShort, "holds 1 blocks, the configuration asks for 2"),
    (FlatStages, "holds 3 stages"),
    (IgnoresStem, "did not keep the stem it was given"),
    (WideHead, "the difference is in the head"),
    (PoolInStage3, "Stage 3 of ResNet-18 returned shape (2, 256, 2, 2)"),
])
def test_resnet_wrong_answers_name_the_stage(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_resnet(wrong, models.BasicBlock, models.Bottleneck)
    assert message in str(error.value)


# ------------------------------------------------------------------ answers written by others
# Written without labutils.models, in other styles than the solution's.


class VarMeanBatchNorm(nn.Module):
    """Right: torch.var_mean for the statistics, lerp_ for the running averages."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        if self.training:
            var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0)
            with torch.no_grad():
                n = x.numel() // x.shape[1]
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / (n - 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean[None, :, None, None]) * torch.rsqrt(var[None, :, None, None] + self.eps)
        return x_hat * self.weight[None, :, None, None] + self.bias[None, :, None, None]


class KeepdimBatchNorm(nn.Module):
    """Right: statistics with keepdim=True, the variance written out by hand."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(1, num_features, 1, 1).flatten())
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        if self.training:
            mean = x.mean(dim=(0, 2, 3), keepdim=True)
            var = ((x - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            n = x.shape[0] * x.shape[2] * x.shape[3]
            with torch.no_grad():
                m = self.momentum
                self.running_mean.copy_((1 - m) * self.running_mean + m * mean.flatten())
                self.running_var.copy_((1 - m) * self.running_var
                                       + m * var.flatten() * n / (n - 1))
        else:
            mean = self.running_mean.view(1, -1, 1, 1)
            var = self.running_var.view(1, -1, 1, 1)
        y = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight.view(1, -1, 1, 1) * y + self.bias.view(1, -1, 1, 1)


@pytest.mark.parametrize("right", [VarMeanBatchNorm, KeepdimBatchNorm])
def test_batch_norm_in_other_right_styles_passes(right, capsys):
    check_batch_norm(right)
    assert "matches nn.BatchNorm2d to 1e-05" in capsys.readouterr().out


def test_batch_norm_that_returns_a_tuple_in_eval_mode():
    class Pair(VarMeanBatchNorm):
        def forward(self, x):
            out = super().forward(x)
            return out if self.training else (out, None)

    with pytest.raises(CheckFailed, match=r"in eval mode returned tuple for input"):
        check_batch_norm(Pair)


class DownsampleBasicBlock(nn.Module):
    """Right, torchvision's style: a `downsample` that is None when the shape is kept."""

    expansion = 1

    def __init__(self, in_channels, channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(channels))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class MainPathBasicBlock(nn.Module):
    """Right, another style: the main path as one nn.Sequential, F.relu at the end."""

    expansion = 1

    def __init__(self, in_channels, channels, stride=1):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        same = stride == 1 and in_channels == channels
        self.skip = nn.Identity() if same else nn.Sequential(
            nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False),
            nn.BatchNorm2d(channels))

    def forward(self, x):
        return F.relu(self.main(x) + self.skip(x))


@pytest.mark.parametrize("right", [DownsampleBasicBlock, MainPathBasicBlock])
def test_basic_block_in_other_right_styles_passes(right, capsys):
    check_basic_block(right)
    assert "BasicBlock: all" in capsys.readouterr().out


class SequentialBottleneck(nn.Module):
    """Right, another style: the main path as one nn.Sequential."""

    expansion = 4

    def __init__(self, in_channels, channels, stride=1, stride_on="3x3", project=True,
                 bias=False, relu_last=True):
        super().__init__()
        out = channels * self.expansion
        s1, s3 = (stride, 1) if stride_on == "1x1" else (1, stride)
        self.main = nn.Sequential(
            nn.Conv2d(in_channels, channels, 1, stride=s1, bias=bias), nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, stride=s3, padding=1, bias=bias),
            nn.BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, out, 1, bias=bias), nn.BatchNorm2d(out))
        needed = stride != 1 or in_channels != out
        self.skip = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride=stride, bias=False),
                                  nn.BatchNorm2d(out)) if needed and project else nn.Identity()
        self.relu_last = relu_last

    def forward(self, x):
        out = self.main(x) + self.skip(x)
        return F.relu(out) if self.relu_last else out


class DownsampleBottleneck(nn.Module):
    """Right, torchvision's style, with a `downsample` that may be None."""

    expansion = 4

    def __init__(self, in_channels, channels, stride=1):
        super().__init__()
        width, out = channels, channels * 4
        self.conv1, self.bn1 = nn.Conv2d(in_channels, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != out:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride, bias=False),
                                            nn.BatchNorm2d(out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


@pytest.mark.parametrize("right", [SequentialBottleneck, DownsampleBottleneck])
def test_bottleneck_in_other_right_styles_passes(right, capsys):
    check_bottleneck(right)
    assert "Bottleneck: all" in capsys.readouterr().out


def bottleneck_variant(**flags):
    class Variant(SequentialBottleneck):
        def __init__(self, in_channels, channels, stride=1):
            super().__init__(in_channels, channels, stride, **flags)
    return Variant


@pytest.mark.parametrize(("wrong", "message"), [
    (bottleneck_variant(stride_on="1x1"), "no 3x3 convolution has stride 2"),
    (bottleneck_variant(project=False), "Bottleneck(16, 8, stride=1)"),
    (bottleneck_variant(bias=True), "use bias=False"),
    (bottleneck_variant(relu_last=False), "the ReLU comes after the addition"),
    (type("OneExpansion", (SequentialBottleneck,), {"expansion": 1}), "Bottleneck.expansion is 1"),
])
def test_more_bottleneck_wrong_answers_are_named(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_bottleneck(wrong)
    assert message in str(error.value)


def test_a_bottleneck_without_projection_is_told_where_and_why():
    with pytest.raises(CheckFailed) as error:
        check_bottleneck(bottleneck_variant(project=False))
    text = str(error.value)
    assert text.startswith("Bottleneck(16, 8, stride=1) applied to a batch of shape "
                           "(2, 16, 8, 8) raised RuntimeError")
    assert "the shortcut is a 1x1 convolution with that stride and out_channels" in text


class ListResNet(nn.Module):
    """Right, another style: stages from a list comprehension, pooling written in forward."""

    def __init__(self, block, stage_sizes, widths=(64, 128, 256, 512), num_classes=1000,
                 in_channels=3, stem=None):
        super().__init__()
        if stem is None:
            stem = nn.Sequential(
                nn.Conv2d(in_channels, widths[0], 7, stride=2, padding=3, bias=False),
                nn.BatchNorm2d(widths[0]), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
        self.stem = stem
        ins = [widths[0]] + [w * block.expansion for w in widths[:-1]]
        self.stages = nn.Sequential(*[
            nn.Sequential(*[block(c_in if b == 0 else w * block.expansion, w,
                                  2 if i > 0 and b == 0 else 1) for b in range(n)])
            for i, (n, w, c_in) in enumerate(zip(stage_sizes, widths, ins))])
        self.head = nn.Linear(widths[len(stage_sizes) - 1] * block.expansion, num_classes)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)).mean(dim=(2, 3)))


class LoopResNet(ListResNet):
    """Right, another style: stages appended to an empty nn.Sequential in a loop."""

    def __init__(self, block, stage_sizes, widths=(64, 128, 256, 512), num_classes=1000,
                 in_channels=3, stem=None):
        super().__init__(block, [1], widths[:1], num_classes, in_channels, stem)
        self.stages = nn.Sequential()
        channels = widths[0]
        for index, (n, width) in enumerate(zip(stage_sizes, widths)):
            stage = nn.Sequential()
            for b in range(n):
                stage.append(block(channels, width, stride=2 if index and not b else 1))
                channels = width * block.expansion
            self.stages.append(stage)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(1),
                                  nn.Linear(channels, num_classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


@pytest.mark.parametrize("right", [ListResNet, LoopResNet])
def test_resnet_in_other_right_styles_passes(right, capsys):
    check_resnet(right, DownsampleBasicBlock, DownsampleBottleneck)
    assert "ResNet-18, -34 and -50 match torchvision's" in capsys.readouterr().out


def test_resnet_with_blocks_that_never_project_names_the_stage_and_the_block():
    with pytest.raises(CheckFailed) as error:
        check_resnet(ListResNet, NeverProjectBasicBlock, DownsampleBottleneck)
    text = str(error.value)
    assert text.startswith("block 1 of stage 2 of ResNet(BasicBlock, [1, 2]")
    assert "raised RuntimeError" in text
    assert "when the shape changes, the shortcut is a 1x1 convolution" in text


def test_resnet_whose_stage_blocks_lack_a_projection_is_told_so():
    class LateProjection(ListResNet):
        def __init__(self, block, stage_sizes, *args, **kwargs):
            super().__init__(block, stage_sizes, *args, **kwargs)
            if len(stage_sizes) == 4:  # only the full-size networks
                first = self.stages[1][0]
                first.downsample = None
                first.forward = lambda x: x[:, :0]  # never run: parameters are compared first

    with pytest.raises(CheckFailed) as error:
        check_resnet(LateProjection, DownsampleBasicBlock, DownsampleBottleneck)
    text = str(error.value)
    assert "the difference is in stage 2 (torchvision's layer2)" in text
    assert "its shortcut needs a projection" in text


# --------------------------------------------------------------------------- DenseNet


def dense_layer(channels: int, growth_rate: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(),
                         nn.Conv2d(channels, growth_rate, 3, padding=1, bias=False))


class GoodDenseBlock(nn.Module):
    """The solution's style: a ModuleList, a list of features, one torch.cat per layer."""

    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__()
        self.layers = nn.ModuleList(dense_layer(in_channels + i * growth_rate, growth_rate)
                                    for i in range(num_layers))

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)


class GrowingTensorDenseBlock(GoodDenseBlock):
    """Right, another style: one tensor that grows by concatenation."""

    def forward(self, x):
        for layer in self.layers:
            x = torch.cat([x, layer(x)], dim=1)
        return x


class FunctionalReluDenseBlock(nn.Module):
    """Right, another style: two ModuleLists and F.relu."""

    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__()
        sizes = [in_channels + i * growth_rate for i in range(num_layers)]
        self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in sizes)
        self.convs = nn.ModuleList(nn.Conv2d(c, growth_rate, 3, padding=1, bias=False)
                                   for c in sizes)

    def forward(self, x):
        for norm, conv in zip(self.norms, self.convs):
            x = torch.cat([x, conv(F.relu(norm(x)))], 1)
        return x


class ConcatenatingLayer(nn.Module):
    def __init__(self, channels, growth_rate):
        super().__init__()
        self.layer = dense_layer(channels, growth_rate)

    def forward(self, x):
        return torch.cat((x, self.layer(x)), dim=1)


class SequentialDenseBlock(nn.Sequential):
    """Right, torchvision's style: each layer returns its input and its new features."""

    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__(*[ConcatenatingLayer(in_channels + i * growth_rate, growth_rate)
                           for i in range(num_layers)])


class AddingDenseBlock(nn.Module):
    """Wrong: adds like a residual block (each layer keeps in_channels)."""

    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__()
        self.layers = nn.ModuleList(dense_layer(in_channels, in_channels)
                                    for _ in range(num_layers))

    def forward(self, x):
        for layer in self.layers:
            x = x + layer(x)
        return x


class ChainedDenseBlock(nn.Module):
    """Wrong: a plain chain of layers, concatenated with the input once at the end."""

    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__()
        self.layers = nn.Sequential(*[dense_layer(in_channels if i == 0 else growth_rate,
                                                  growth_rate) for i in range(num_layers)])

    def forward(self, x):
        return torch.cat([x, self.layers(x)], dim=1)


class InputOnlyDenseBlock(nn.Module):
    """Wrong: every layer sees only the block's input."""

    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__()
        self.layers = nn.ModuleList(dense_layer(in_channels, growth_rate)
                                    for _ in range(num_layers))

    def forward(self, x):
        return torch.cat([x] + [layer(x) for layer in self.layers], dim=1)


class PythonListDenseBlock(GoodDenseBlock):
    """Wrong: the layers sit in a plain list, so PyTorch does not see their weights."""

    def __init__(self, in_channels, growth_rate, num_layers):
        nn.Module.__init__(self)
        self.layers = [dense_layer(in_channels + i * growth_rate, growth_rate)
                       for i in range(num_layers)]


class BatchDimDenseBlock(GoodDenseBlock):
    """Wrong: torch.cat without dim=1."""

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features)))
        return torch.cat(features)


class NoInputDenseBlock(GoodDenseBlock):
    """Wrong: the output leaves out the block's input."""

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features[1:], dim=1)


class InputLastDenseBlock(GoodDenseBlock):
    """Wrong: the input comes after the new features."""

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features[1:] + [x], dim=1)


class ConvFirstDenseBlock(GoodDenseBlock):
    """Wrong: convolution, batch norm, ReLU (the order of lab 03's blocks)."""

    def __init__(self, in_channels, growth_rate, num_layers):
        nn.Module.__init__(self)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Conv2d(in_channels + i * growth_rate, growth_rate, 3, padding=1,
                                    bias=False), nn.BatchNorm2d(growth_rate), nn.ReLU())
            for i in range(num_layers))


class NoPaddingDenseBlock(GoodDenseBlock):
    """Wrong: 3x3 convolutions without padding shrink the maps, so torch.cat fails."""

    def __init__(self, in_channels, growth_rate, num_layers):
        nn.Module.__init__(self)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(in_channels + i * growth_rate), nn.ReLU(),
                          nn.Conv2d(in_channels + i * growth_rate, growth_rate, 3, bias=False))
            for i in range(num_layers))


class BiasDenseBlock(GoodDenseBlock):
    """Wrong: convolutions with a bias."""

    def __init__(self, in_channels, growth_rate, num_layers):
        nn.Module.__init__(self)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(in_channels + i * growth_rate), nn.ReLU(),
                          nn.Conv2d(in_channels + i * growth_rate, growth_rate, 3, padding=1))
            for i in range(num_layers))


class NoReluDenseBlock(GoodDenseBlock):
    """Wrong: batch norm straight into the convolution."""

    def __init__(self, in_channels, growth_rate, num_layers):
        nn.Module.__init__(self)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(in_channels + i * growth_rate),
                          nn.Conv2d(in_channels + i * growth_rate, growth_rate, 3, padding=1,
                                    bias=False))
            for i in range(num_layers))


class HardCodedGrowthDenseBlock(GoodDenseBlock):
    """Wrong: growth_rate ignored (always 3, the first setting the check tries)."""

    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__(in_channels, 3, num_layers)


class StubDenseBlock(nn.Module):
    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__()
        raise NotImplementedError()


@pytest.mark.parametrize("right", [GoodDenseBlock, GrowingTensorDenseBlock,
                                   FunctionalReluDenseBlock, SequentialDenseBlock])
def test_dense_block_right_answers_pass(right, capsys):
    check_dense_block(right)
    assert "DenseBlock: channels grow by growth_rate" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "message"), [
    (AddingDenseBlock, "the new features were added to the input, as in a residual block"),
    (ChainedDenseBlock, "only one layer's new features reached the output"),
    (InputOnlyDenseBlock, "each layer sees the block's input *and* the features"),
    (PythonListDenseBlock, "not in a plain Python list"),
    (BatchDimDenseBlock, "join along the channels (dim=1)"),
    (NoInputDenseBlock, "the block's own input is left out of the output"),
    (InputLastDenseBlock, "(the input comes last)"),
    (ConvFirstDenseBlock, "it comes after the convolution"),
    (NoPaddingDenseBlock, "Your convolutions gave these shapes"),
    (BiasDenseBlock, "has a bias"),
    (NoReluDenseBlock, "apply the ReLU between the batch norm and the convolution"),
    (HardCodedGrowthDenseBlock, "new channels, not growth_rate = 4"),
])
def test_dense_block_wrong_answers_are_named(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_dense_block(wrong)
    assert message in str(error.value)


def test_dense_block_stub_says_not_done():
    with pytest.raises(NotImplementedYet):
        check_dense_block(StubDenseBlock)


def test_dense_block_needs_the_class():
    with pytest.raises(CheckFailed, match="not a class"):
        check_dense_block(GoodDenseBlock(4, 2, 2))
