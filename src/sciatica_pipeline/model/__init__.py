"""The model: frozen, immutable values built only from validated data.

Content (the bundle), patients, and the schedules made from them.
"""
