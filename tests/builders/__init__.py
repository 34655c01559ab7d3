"""Builders the tests share: chat drivers, rosters, submissions, certificate pictures, paths.

Tests import helpers from here, never from another test module (tests/test_suite_layout.py checks it).
"""
