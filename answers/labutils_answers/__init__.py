"""The workbook's answers to its exercises, one module per lab: what ``use_reference``
hands out (``labutils/checks/reference.py``).

This is a distribution of its own, ``labutils-answers`` (``answers/`` in the workbook), so
that a graded class can leave it out of what students install: there the instructor
releases each lab's module after its deadline (``python -m tools.course release-answers``).
Self-study installs it beside labutils (``make lab`` does), and the way forward is open.
"""
