# search_lenet5_ddp.py with random transforms in S_train, as every shipped
# search has them: a padded random crop and a random flip, loaded by a
# persistent dataloader worker. Records alpha after every step and the
# images of every batch, per process (tests/configs must be on PYTHONPATH
# for the recorders' modules).
_base_ = './search_lenet5_ddp.py'

custom_imports = dict(
    imports=['ddas_mm', 'search_alpha_recorder', 'search_batch_recorder'],
    allow_failed_imports=False)
train_dataloader = dict(
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        dataset=dict(pipeline=[
            dict(type='Resize', scale=32),
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs')
        ])))
custom_hooks = [
    dict(type='DDASPolicyHook', interval=1),
    dict(type='AlphaRecorderHook'),
    dict(type='BatchRecorderHook')
]
