# DDAS search on ImageNet (paper §4.3): ResNet-18 on the proxy task of
# AutoAugment, 120 random classes with 50 training and 20 validation images
# each (6000 / 1200), 40 epochs, train batches of 32 and validation batches
# of 64, L-hat = 2 policies of N_o = 2 ops per step from the 'imagenet'
# space, p_o uniform and p_tp 0.35 at the start, Adam on alpha_o / alpha_tp
# with lr 3e-3 / 1e-3 and betas (0.5, 0.999), as the authors do.
#   python tools/train.py configs/ddas/resnet18_imagenet_search.py
#   -> work_dirs/resnet18_imagenet_search/ddas_policy.json, used by
#      resnet50_imagenet_retrain.py
# The network's optimizer is mmpretrain's ImageNet ResNet one (SGD lr 0.1 for
# batches of 256, so 0.0125 for 32, momentum 0.9, weight decay 1e-4; cosine
# decay over the search). The authors' search_proxy_td.py uses SGD too, with
# Nesterov momentum 0.9, weight decay 1e-4 and cosine decay, at lr 0.002 for
# batches of 64 (resnet18_b64_reduce_search.yaml); we keep the linear-scaling
# rate mmpretrain trains ResNet-18 with. Any SGD keeps the one-step update of
# Eq. 6 linear in the gradient, which is what the policy gradient needs.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
custom_imports = dict(imports=['ddas_mm'], allow_failed_imports=False)

imagenet = dict(type='ImageNet', data_root='data/imagenet', split='train')
proxy = dict(
    type='ProxySplit', num_train=50, num_val=20, num_classes=120, seed=0)
train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        proxy,
        split='train',
        dataset=dict(imagenet, pipeline={{_base_.train_pipeline}}),
        _delete_=True))
max_epochs = 40
train_cfg = dict(
    _delete_=True,
    type='DDASSearchLoop',
    max_epochs=max_epochs,
    val_interval=10,
    policy_dataloader=dict(
        batch_size=64,
        num_workers=5,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(
            proxy,
            split='val',
            dataset=dict(imagenet, pipeline={{_base_.test_pipeline}}))),
    space=dict(preset='imagenet'),
    num_policies=2,
    num_ops=2,
    init_tp=0.35,
    policy_optim=dict(type='Adam', lr=3e-3, betas=(0.5, 0.999)),
    tp_optim=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)),
    # ImageNet images are loaded BGR; the data preprocessor turns them RGB.
    channel_order='bgr')

optim_wrapper = dict(optimizer=dict(lr=0.0125))
param_scheduler = dict(
    _delete_=True,
    type='CosineAnnealingLR',
    T_max=max_epochs,
    by_epoch=True,
    begin=0,
    end=max_epochs)
custom_hooks = [dict(type='DDASPolicyHook', interval=50)]
