"""What only authors run: the notebook generator and the figure script.

Run them from the repository root (``make notebooks``, ``make figures``). This folder is
never installed and nothing in ``labutils`` imports it.
"""
