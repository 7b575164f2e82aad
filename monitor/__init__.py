"""vitals-monitor: a bedside vital-signs monitor for MDMA-assisted therapy dosing sessions."""

__version__ = "0.1.0"
