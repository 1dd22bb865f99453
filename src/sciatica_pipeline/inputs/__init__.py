"""Reading what comes in (content files, patient lists) and checking it.

The only place that parses input; everything after it works on the model.
"""
