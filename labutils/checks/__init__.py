"""Exercise checks, one module per lab on a small shared core (``core.py``).

A lab imports its checks from here: ``from labutils.checks import check_vgg_block``.
"""

from .architectures import check_basic_block, check_batch_norm, check_bottleneck, check_resnet
from .autoencoders import check_decoder
from .convolution import (
    check_conv2d_loop,
    check_conv_output_size,
    check_conv_param_count,
    check_receptive_field,
)
from .core import Check, CheckFailed, NotImplementedYet
from .first_cnn import check_vgg_block
from .multilabel import check_bce_with_logits, check_multilabel_metrics
from .residual import check_cnn_backbone, check_cnn_classifier, check_residual_block
from .transfer import check_feature_extractor, check_fine_tuning_optimizer
from .upsampling import (
    check_conv_transpose_by_hand,
    check_conv_transpose_output_size,
    check_result_by_hand,
    check_unet,
    check_zero_insert_and_pad,
)

__all__ = [
    "Check", "CheckFailed", "NotImplementedYet",
    "check_basic_block", "check_batch_norm", "check_bottleneck", "check_resnet",
    "check_decoder",
    "check_conv2d_loop", "check_conv_output_size", "check_conv_param_count",
    "check_receptive_field",
    "check_vgg_block",
    "check_bce_with_logits", "check_multilabel_metrics",
    "check_cnn_backbone", "check_cnn_classifier", "check_residual_block",
    "check_feature_extractor", "check_fine_tuning_optimizer",
    "check_conv_transpose_by_hand", "check_conv_transpose_output_size",
    "check_result_by_hand", "check_unet",
    "check_zero_insert_and_pad",
]
