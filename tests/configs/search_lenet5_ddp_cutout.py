# search_lenet5_ddp.py with ops that draw at random (Cutout positions), and
# a record of what the ops changed in every image, per process
# (tests/configs must be on PYTHONPATH for the recorders' modules).
_base_ = './search_lenet5_ddp.py'

custom_imports = dict(
    imports=['ddas_mm', 'search_alpha_recorder', 'search_op_draw_recorder'],
    allow_failed_imports=False)
train_cfg = dict(
    space=dict(_delete_=True, ops=[('Cutout', 6), ('Cutout', 10)]),
    num_ops=1)
custom_hooks = [
    dict(type='DDASPolicyHook', interval=1),
    dict(type='AlphaRecorderHook'),
    dict(type='OpDrawRecorderHook')
]
