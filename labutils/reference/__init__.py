"""The workbook's answers to the exercises, one module per lab (see labutils.checks.reference)."""
