"""What authors run, and the JupyterLab set-up of ``make lab``; never installed.

- ``generate_notebooks.py``: ``make notebooks`` (solutions/ to notebooks/, README index),
  built from ``solution_markers``, ``notebook_header``, ``figure_attachments``,
  ``readme_sections`` and ``safe_files``;
- ``draw_figures.py``: ``make figures`` (the diagrams in img/);
- ``lab_overrides.json`` and ``lab_server_config.py``: the settings ``make lab`` (and
  Binder's postBuild) gives JupyterLab.

Run them from the repository root. Nothing in ``labutils`` imports this folder.
"""
