"""Packs: runs of one data order planned together, the devices they train on, and a
pack's files handed to its runs. Imports no torch: the Snakefile plans packs on every call."""
