# Wide-ResNet-28-10 on CIFAR-100, 200 epochs, with the DDAS policy searched by
# wrn40-2_cifar100_search.py (paper §4.2). Settings: wrn28-10_cifar10_retrain.
_base_ = ['./wrn28-10_cifar10_retrain.py']

ddas_policy = 'work_dirs/wrn40-2_cifar100_search/ddas_policy.json'
num_classes = 100

train_pipeline = _base_.train_pipeline
train_pipeline[2]['policy'] = ddas_policy

model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(
    num_classes=num_classes,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418])
train_dataloader = dict(
    dataset=dict(
        type='CIFAR100', data_root='data/cifar100',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
