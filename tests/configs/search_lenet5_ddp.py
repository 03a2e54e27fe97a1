# search_lenet5_tiny.py with a record of alpha after every step, per process
# (tests/configs must be on PYTHONPATH for the recorder's module).
_base_ = './search_lenet5_tiny.py'

custom_imports = dict(
    imports=['ddas_mm', 'search_alpha_recorder'], allow_failed_imports=False)
custom_hooks = [
    dict(type='DDASPolicyHook', interval=1),
    dict(type='AlphaRecorderHook')
]
