# search_lenet5_ddp.py with a parameter that only rank 1 uses.
_base_ = './search_lenet5_ddp.py'

custom_imports = dict(
    imports=['ddas_mm', 'search_alpha_recorder', 'search_rank_one_neck'],
    allow_failed_imports=False)
model = dict(neck=dict(type='RankOneOnlyNeck', _delete_=True))
