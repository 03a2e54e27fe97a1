# A real DDAS search on Fashion-MNIST, on the CPU in a few minutes: LeNet-5,
# S_train / S_val 2000 / 2000 images of the training set, S_train with the
# retraining's crop and flip (lenet5_fashion-mnist_retrain.py without the
# policy), S_val clean (unlike the sanity check's turned S_val), 20 epochs of
# 63 batches of 32 (1260 policy steps, the paper's CIFAR budget), S_val
# batches of 256, L-hat 3, N_o 2, the 'grey' space (the CIFAR ops without
# Color, which does nothing to grey images), and the policy optimizers of
# the paper's CIFAR search.
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/ddas/lenet5_fashion-mnist_search.py
#   -> work_dirs/lenet5_fashion-mnist_search/ddas_policy.json, used by
#      lenet5_fashion-mnist_retrain.py and the experiment of
#      experiments/lenet5_fashion-mnist.py
_base_ = './lenet5_fashion-mnist-rot90_search.py'

search_train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=32),
    dict(type='PackInputs')
]
clean_pipeline = [dict(type='Resize', scale=32), dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(dataset=dict(
    pipeline=search_train_pipeline)))
train_cfg = dict(
    max_epochs=20,
    policy_dataloader=dict(dataset=dict(dataset=dict(
        pipeline=clean_pipeline))),
    space=dict(preset='grey'),
    policy_optim=dict(lr=5e-3),
    tp_optim=dict(lr=1e-3))
val_dataloader = dict(dataset=dict(pipeline=clean_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(interval=5))
