"""The paper's search settings: the defaults wherever a search is set up.

Sources: the paper (§3.5, §4.2) and the authors' released search code.
"""
# N_o, the ops of a policy: the search space's default, defined with the ops
# (ddas_mm.ops cannot import ddas_mm.policy, which imports it).
from ddas_mm.ops.constants import NUM_OPS  # noqa: F401

# L-hat, the policies drawn per search step (the paper samples 2 or 3).
NUM_POLICIES = 3
# The initial p_tp.
INIT_TP = 0.35
# The policy steps of the paper's CIFAR search: 20 epochs of 2000 S_train
# images in batches of 32. A search's budget is counted in these steps, not
# in epochs: a smaller proxy split needs more epochs for the same steps.
POLICY_STEPS = 20 * 2000 // 32
# The authors' Adam on alpha_o and alpha_tp; alpha_o's learning rate is 5e-3
# on CIFAR and 3e-3 on ImageNet.
ADAM_BETAS = (0.5, 0.999)
POLICY_LR = {'cifar': 5e-3, 'imagenet': 3e-3}
TP_LR = 1e-3
# The proxy tasks of paper §3.5.1 (COCO 3000 / 1500, CIFAR 2000 / 2000) and
# its search lengths (COCO: the shipped retinanet_r50_search.py), the
# shortest a search gets: with a small proxy split or large batches it gets
# the epochs that reach POLICY_STEPS.
TASK_DEFAULTS = {
    'detection': dict(num_train=3000, num_val=1500, epochs=30),
    'classification': dict(num_train=2000, num_val=2000, epochs=20),
}
# F_s, the mean filter on p_tp when a searched policy is replayed (the
# authors' process_npy.py).
SMOOTH = 6


def policy_optim(preset: str = 'cifar') -> dict:
    """The optimizer of alpha_o for a search space preset (CIFAR's for the
    presets the paper gives no rate for)."""
    return dict(type='Adam', lr=POLICY_LR.get(preset, POLICY_LR['cifar']),
                betas=ADAM_BETAS)


def tp_optim() -> dict:
    """The optimizer of alpha_tp."""
    return dict(type='Adam', lr=TP_LR, betas=ADAM_BETAS)
