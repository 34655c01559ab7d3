"""Yearly development reports for HR: collected with set-based queries, written as XLSX or CSV.

`data.collect` gathers the figures, `xlsx.write_xlsx` and `csv_files.write_csv`
write them; the CLI (`python -m bot report`) and the admin chat command share them.
"""
