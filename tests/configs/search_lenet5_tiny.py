# A tiny version of the paper's sanity search for tests: LeNet-5 (no
# BatchNorm) on 64 + 64 Fashion-MNIST test images, 2 epochs of 4 steps. The
# ops are free of random draws (no sign, no position), so the augmented
# batches do not depend on how a batch is split over processes.
_base_ = '../../configs/ddas/lenet5_fashion-mnist-rot90_search.py'

sizes = dict(num_train=64, num_val=64, dataset=dict(split='test',
                                                    test_mode=True))
train_dataloader = dict(batch_size=16, dataset=sizes)
train_cfg = dict(
    max_epochs=2,
    policy_dataloader=dict(batch_size=32, dataset=sizes),
    space=dict(
        _delete_=True,
        ops=[('FlipLR', None), ('Invert', None), ('Rotate90', None),
             ('Equalize', None), ('Posterize', 4), ('Solarize', 6)]),
    num_policies=2,
    # Larger than the paper's so that two epochs move alpha visibly.
    policy_optim=dict(lr=0.05),
    tp_optim=dict(lr=0.05))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

optim_wrapper = dict(optimizer=dict(lr=0.05))
custom_hooks = [dict(type='DDASPolicyHook', interval=1)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1))
