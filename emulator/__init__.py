"""A local stand-in for Google and Microsoft 365 calendars, with fault injection.

Development tool only: tests, the demo and the benchmarks start it; production code
never imports it. Start it with ``python -m emulator`` or, in tests, with
`emulator.testing.running_emulator`. See ``emulator/README.md``.
"""
