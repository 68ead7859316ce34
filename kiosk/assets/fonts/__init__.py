"""Noto Sans Regular/Bold (SIL OFL 1.1, see OFL.txt): full Vietnamese coverage for tickets and receipts.

A package (not a bare folder) so setuptools' ``"*" = ["*.ttf", "*.txt"]`` package-data rule ships the files.
"""
