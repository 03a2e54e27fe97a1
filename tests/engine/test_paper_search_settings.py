"""The shipped search configs carry the paper's search settings (§4.2-4.4).

Each config here is run for a step elsewhere
(tests/config_gen/test_search_configs.py) where small real data can stand in
for its dataset; this checks the values
the paper states, which a run on stand-in data cannot see.
"""
import os.path as osp

import pytest
from mmengine.config import Config
from tool_runner import REPO

CONFIGS = osp.join(REPO,
                   'configs', 'ddas')

# config: (dataset type, proxy split, classes, epochs, train batch,
#          val batch, L-hat, N_o, preset, alpha_o lr, alpha_tp lr)
PAPER = {
    'wrn40-2_cifar10_search.py':
    ('CIFAR10', dict(num_train=2000, num_val=2000), 10, 20, 32, 256, 3, 2,
     'cifar', 5e-3, 1e-3),
    'wrn40-2_cifar100_search.py':
    ('CIFAR100', dict(num_train=2000, num_val=2000), 100, 20, 32, 256, 3, 2,
     'cifar', 5e-3, 1e-3),
    'resnet18_imagenet_search.py':
    ('ImageNet', dict(num_train=50, num_val=20, num_classes=120), 1000, 40,
     32, 64, 2, 2, 'imagenet', 3e-3, 1e-3),
    'retinanet_r50_search.py':
    ('CocoDataset', dict(num_train=3000, num_val=1500), 80, 30, 4, 4, 3, 2,
     'coco', None, None),
}


@pytest.mark.parametrize('name', sorted(PAPER))
def test_search_config_has_the_papers_settings(name):
    (dataset_type, split, classes, epochs, train_batch, val_batch,
     num_policies, num_ops, preset, lr_o, lr_tp) = PAPER[name]
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    loop = cfg.train_cfg
    assert cfg.custom_imports.imports == ['ddas_mm']
    assert any(h.type == 'DDASPolicyHook' for h in cfg.custom_hooks)
    assert loop.type == 'DDASSearchLoop'
    assert (loop.max_epochs, loop.num_policies, loop.num_ops,
            loop.init_tp) == (epochs, num_policies, num_ops, 0.35)
    assert loop.space == dict(preset=preset)
    if lr_o is not None:
        assert (loop.policy_optim.lr, loop.tp_optim.lr) == (lr_o, lr_tp)
    assert loop.policy_optim.betas == loop.tp_optim.betas == (0.5, 0.999)
    head = cfg.model.get('head', cfg.model.get('bbox_head'))
    assert head.num_classes == classes
    sides = {'train': cfg.train_dataloader, 'val': loop.policy_dataloader}
    for side, dataloader in sides.items():
        proxy = dataloader.dataset
        assert proxy.type == 'ProxySplit' and proxy.split == side
        assert proxy.dataset.type == dataset_type
        assert {k: proxy[k] for k in split} == split
        # Both sides draw the same split (disjoint halves).
        assert proxy.seed == sides['train'].dataset.seed
    assert cfg.train_dataloader.batch_size == train_batch
    assert loop.policy_dataloader.batch_size == val_batch
