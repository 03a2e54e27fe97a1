# The DDAS search of lenet5_fashion-mnist_search.py (S_train / S_val of the
# training set, 20 epochs of 2000 images, L-hat 3, N_o 2, the 'grey' space,
# the paper's CIFAR policy optimizers) with the network of
# convnet_fashion-mnist_retrain.py, on the 28x28 images as they are: S_train
# with that config's crop and flip, S_val clean.
_base_ = ['./lenet5_fashion-mnist_search.py']

model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(type='SmallConvNet', widths=(16, 32, 64)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    data_preprocessor=dict(mean=[72.94], std=[90.02], num_classes=10))
search_train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
pipeline = [dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(dataset=dict(
    pipeline=search_train_pipeline)))
train_cfg = dict(policy_dataloader=dict(dataset=dict(dataset=dict(
    pipeline=pipeline))))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = val_dataloader
