"""Configs of both MM codebases import ddas_mm and find its modules."""
import json
import subprocess
import sys

import pytest

from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow


# (registry name, type) of every module ddas_mm registers for configs.
DDAS_MODULES = [
    ('LOOPS', 'DDASSearchLoop'),
    ('HOOKS', 'DDASPolicyHook'),
    ('HOOKS', 'DDASSearchRecordHook'),
    ('HOOKS', 'DDASReplayHook'),
    ('HOOKS', 'WeightsOnlyCheckpointHook'),
    ('TRANSFORMS', 'DynamicDDASAugment'),
    ('DATASETS', 'ProxySplit'),
    ('MODELS', 'WideResNet'),
]

# Run in a fresh interpreter: in the test session ddas_mm is imported
# already, which would hide a config whose custom_imports does nothing.
PROBE = '''
import importlib, json, sys
from mmengine.config import Config
from mmengine.registry import DefaultScope
cfg_path, scope, modules = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
assert 'ddas_mm' not in sys.modules
cfg = Config.fromfile(cfg_path)
registries = importlib.import_module(scope + '.registry')
found = {}
with DefaultScope.overwrite_default_scope(scope):
    model = registries.MODELS.build(cfg.model)
    for registry_name, type_name in modules:
        module = getattr(registries, registry_name).get(type_name)
        found[type_name] = module.__module__ if module else None
print(json.dumps(dict(scope=cfg.default_scope, model=type(model).__module__,
                      found=found)))
'''


@pytest.mark.parametrize('scope,base', [
    ('mmpretrain', 'mmpretrain::resnet/resnet18_8xb16_cifar10.py'),
    ('mmdet', 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'),
])
def test_config_with_ddas_mm_finds_its_modules(tmp_path, scope, base):
    config = tmp_path / 'cfg.py'
    config.write_text(
        f"_base_ = '{base}'\n"
        "custom_imports = dict(imports=['ddas_mm'], "
        "allow_failed_imports=False)\n")
    result = subprocess.run(
        [sys.executable, '-c', PROBE, str(config), scope,
         json.dumps(DDAS_MODULES)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report['scope'] == scope
    assert report['model'].startswith(scope + '.')
    for _, type_name in DDAS_MODULES:
        module = report['found'][type_name]
        assert module is not None, f'{type_name} not found from {scope}'
        assert module.startswith('ddas_mm.'), (type_name, module)
