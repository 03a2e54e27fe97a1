"""Searched policies as other libraries' transforms: one module per target
library, each a table from our op kinds to its transforms."""
from .mapping import ExportTarget, Mapping
from .policy_export import (DEFAULT_IMG_SHAPES, EXPORT_TARGETS, TARGETS,
                            PolicyExport, export_policy, format_snippet,
                            map_candidate, record_index)

__all__ = [
    'export_policy', 'format_snippet', 'map_candidate', 'record_index',
    'PolicyExport', 'Mapping', 'ExportTarget', 'EXPORT_TARGETS', 'TARGETS',
    'DEFAULT_IMG_SHAPES'
]
