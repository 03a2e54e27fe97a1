# A residual network that fits a small Fashion-MNIST pool under the standard
# augmentation: WRN-16-1 (ddas_mm's WideResNet, depth 16, width 1, 0.17 M
# parameters) on the 28x28 grey images as they are, trained as
# convnet_fashion-mnist_retrain.py trains SmallConvNet: random crop (2 px
# padding) and horizontal flip, then the DDAS policy; SGD with Nesterov
# momentum, cosine schedule after a one-epoch warm-up. The network of the
# comparison in experiments/wrn16-1_fashion-mnist.py.
_base_ = ['./convnet_fashion-mnist_retrain.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='WideResNet',
        depth=16,
        widen_factor=1,
        in_channels=1),
    head=dict(in_channels=64))
