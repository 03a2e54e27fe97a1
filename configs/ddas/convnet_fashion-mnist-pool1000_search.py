# The search of experiments/convnet_fashion-mnist.py: convnet_fashion-mnist_
# search.py on the experiment's pool, the first 1000 Fashion-MNIST training
# images, split 500 / 500 into S_train / S_val. With batches of 32 an epoch
# is 16 policy steps, so the paper's CIFAR budget (1250 steps) takes 79
# epochs: 1264 steps.
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/ddas/convnet_fashion-mnist-pool1000_search.py
_base_ = ['./convnet_fashion-mnist_search.py']

pool = 1000
pool_split = dict(
    dataset=dict(indices=pool), num_train=pool // 2, num_val=pool // 2)
train_dataloader = dict(dataset=pool_split)
train_cfg = dict(max_epochs=79, policy_dataloader=dict(dataset=pool_split))
default_hooks = dict(checkpoint=dict(interval=20))
