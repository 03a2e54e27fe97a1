"""Plots of searched DDAS policies."""
from .policy_plot import plot_policy

__all__ = ['plot_policy']
