# The search of convnet_fashion-mnist-pool1000_search.py (the pool of the
# first 1000 Fashion-MNIST training images, S_train / S_val 500 / 500, 1264
# policy steps) with the network it retrains as its proxy: WRN-16-1, as in
# wrn16-1_fashion-mnist_retrain.py.
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/ddas/wrn16-1_fashion-mnist-pool1000_search.py
_base_ = ['./convnet_fashion-mnist-pool1000_search.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='WideResNet',
        depth=16,
        widen_factor=1,
        in_channels=1))
