"""DDAS search and retraining configs generated from a user's config."""
from .generate import GeneratedConfigs, generate_ddas_configs
from .source import ConfigError

__all__ = ['generate_ddas_configs', 'GeneratedConfigs', 'ConfigError']
