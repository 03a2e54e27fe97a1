# The DDAS search of lenet5_fashion-mnist_search.py (S_train / S_val of the
# training set, both clean, 20 epochs, L-hat 3, N_o 2, the 'grey' space, the
# paper's CIFAR policy optimizers) with the network of
# convnet_fashion-mnist_retrain.py, on the 28x28 images as they are.
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
pipeline = [dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=pipeline)))
train_cfg = dict(policy_dataloader=dict(dataset=dict(dataset=dict(
    pipeline=pipeline))))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = val_dataloader
