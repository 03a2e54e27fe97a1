# lenet5_fashion-mnist_tiny.py replaying a policy (give its path with
# --cfg-options train_dataloader.dataset.pipeline.0.policy=PATH) in the main
# process (num_workers=0), with a record of the ops of every sample, per
# process (tests/configs must be on PYTHONPATH for the recorder's module).
_base_ = './lenet5_fashion-mnist_tiny.py'

custom_imports = dict(
    imports=['ddas_mm', 'replay_ops_recorder'], allow_failed_imports=False)
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='DynamicDDASAugment', policy=None),
        dict(type='Resize', scale=32),
        dict(type='PackInputs', meta_keys=('sample_idx', 'ddas_ops')),
    ]))
train_cfg = dict(max_epochs=1, val_interval=2)
custom_hooks = [
    dict(type='DDASPolicyHook'),
    dict(type='ReplayOpsRecorderHook')
]
