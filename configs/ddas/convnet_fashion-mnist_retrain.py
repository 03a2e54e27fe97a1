# A small VGG-style network (ddas_mm's SmallConvNet, 3 conv3x3-BN-ReLU
# stages of 16, 32 and 64 channels, max pooling, global average pooling) on
# Fashion-MNIST's 28x28 images, trained as lenet5_fashion-mnist_retrain.py
# trains LeNet-5: random crop (2 px padding) and horizontal flip, then the
# DDAS policy; SGD with Nesterov momentum, cosine schedule. The network of
# the comparison in experiments/convnet_fashion-mnist.py.
_base_ = ['./lenet5_fashion-mnist_retrain.py']

model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(type='SmallConvNet', widths=(16, 32, 64)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

# The images as they are (LeNet-5's configs resize them to 32x32).
train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='DynamicDDASAugment', policy={{_base_.ddas_policy}}, smooth=1),
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_shape', 'ddas_ops')),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
