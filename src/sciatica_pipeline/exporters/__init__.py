"""The built-in exporters, one module per format. Each is a plugin, registered like any other."""
