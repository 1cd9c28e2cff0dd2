"""Exercise checks, one module per lab on a small shared core (``core.py``).

A lab imports its checks from here: ``from labutils.checks import check_vgg_block``,
and the help for when you are stuck: ``hint`` (hints.py), ``use_reference``
(reference.py), ``scorecard`` and ``assert_target`` (progress.py). Each check registers
itself, where it is defined, as an exercise of its lab (``@exercise``, in reference.py):
importing the lab modules below fills the register (registry.py).
"""

from . import stubs
from .architectures import (
    check_basic_block,
    check_batch_norm,
    check_bottleneck,
    check_dense_block,
    check_resnet,
)
from .autoencoders import check_decoder
from .convolution import (
    check_conv2d_loop,
    check_conv_output_size,
    check_conv_param_count,
    check_receptive_field,
)
from .core import Check, CheckFailed, NotImplementedYet
from .first_cnn import check_vgg_block
from .hints import hint
from .multilabel import check_bce_with_logits, check_multilabel_metrics
from .progress import assert_target, scorecard
from .reference import use_reference
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
    "assert_target", "hint", "scorecard", "use_reference",
    "check_basic_block", "check_batch_norm", "check_bottleneck", "check_dense_block",
    "check_resnet",
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

# In Jupyter, running into an unsolved exercise says which one to do first.
stubs.install()
