"""Tyler MUNIS (Tyler Enterprise ERP): employees, department codes, job classes and fixed assets
over SQL (reporting objects or base tables) or CSV exports on SFTP / a folder."""
