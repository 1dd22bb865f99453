"""The plugin system: hook specifications, the plugin manager, the exporter base class
and the contract-test kit for exporter authors.
"""
